"""The reference service: leadpipeline behind HTTP (Starlette), tested and runnable.

Run it from the repository root with the ``service`` extra installed::

    python -m examples.service --store sqlite:///leads.db --partner-key p-1=s3cret

See docs/service.md.
"""

from examples.service.app import create_app

__all__ = ["create_app"]

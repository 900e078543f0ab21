"""The unchecked builders set what the class would set, and refuse classes they cannot mirror."""

from __future__ import annotations

import attrs
import pytest

from leadpipeline._unchecked import unchecked, unchecked_copy, unchecked_init, unchecked_replace


@attrs.frozen(kw_only=True)
class _Base:
    key: str = attrs.field(validator=attrs.validators.min_len(1))


@attrs.frozen(kw_only=True)
class _Child(_Base):
    tags: tuple[str, ...] = ()
    seen: list[str] = attrs.field(factory=list)


class TestUncheckedInit:
    def test_inherited_fields_and_defaults_are_set(self) -> None:
        """A field of a base class is set through the base's slot; defaults as the class has."""
        make = unchecked_init(_Child)
        assert make(key="k") == _Child(key="k")
        assert make(key="k", tags=("a",)) == _Child(key="k", tags=("a",))

    def test_a_factory_gives_each_value_its_own(self) -> None:
        """A factory default is called per value, never shared between two values."""
        make = unchecked_init(_Child)
        assert make(key="a").seen is not make(key="b").seen

    def test_validators_are_not_run(self) -> None:
        """What the validators would refuse is set as given: the caller vouches for it."""
        assert unchecked_init(_Base)(key="").key == ""

    def test_a_missing_field_is_a_type_error(self) -> None:
        """A required field left out fails as it would in the class's own constructor."""
        with pytest.raises(TypeError):
            unchecked_init(_Base)()

    def test_a_converter_is_refused(self) -> None:
        """A class that converts what it is given must be built through itself."""

        @attrs.frozen
        class Converted:
            amount: float = attrs.field(converter=float)

        with pytest.raises(TypeError, match="more than its slots"):
            unchecked_init(Converted)

    def test_a_post_init_is_refused(self) -> None:
        """A class that checks itself after init must be built through itself."""

        @attrs.frozen
        class Checked:
            low: int
            high: int

            def __attrs_post_init__(self) -> None:
                assert self.low <= self.high

        with pytest.raises(TypeError, match="more than its slots"):
            unchecked_init(Checked)

    def test_a_default_reading_self_is_refused(self) -> None:
        """A default computed from other fields is left to the class."""

        @attrs.frozen
        class Derived:
            low: int
            high: int = attrs.field(default=attrs.Factory(lambda s: s.low, takes_self=True))

        with pytest.raises(TypeError, match="reads self"):
            unchecked_init(Derived)


class TestUncheckedCopy:
    def test_inherited_fields_are_copied(self) -> None:
        """A copy keeps every field, the base class's too, and replaces only those named."""
        value = _Child(key="k", tags=("a",))
        assert unchecked_copy(_Child)(value, tags=("b",)) == _Child(key="k", tags=("b",))

    def test_an_unknown_field_is_a_type_error(self) -> None:
        """A misspelt field fails loudly instead of being ignored."""
        with pytest.raises(TypeError):
            unchecked_copy(_Child)(_Child(key="k"), colour="red")

    def test_private_fields_are_refused(self) -> None:
        """A private field's name could clash with the generated code's own names."""

        @attrs.frozen
        class Private:
            _value: int

        with pytest.raises(TypeError, match="_value"):
            unchecked_copy(Private)


class TestUncheckedReplace:
    def test_values_follow_the_order_of_the_names(self) -> None:
        """Values are taken in the order the names were given, not the declaration order."""
        replace = unchecked_replace(_Child, ("tags", "key"))
        assert replace(_Child(key="k"), ("a",), "j") == _Child(key="j", tags=("a",))

    @pytest.mark.parametrize("names", [("colour",), ("key", "key")])
    def test_unknown_or_repeated_names_are_refused(self, names: tuple[str, ...]) -> None:
        """A name that is no field, or named twice, fails when the copier is made."""
        with pytest.raises(TypeError):
            unchecked_replace(_Child, names)


class TestUnchecked:
    def test_every_field_must_be_named(self) -> None:
        """A positional builder names every field once, so a new field cannot go unset."""
        with pytest.raises(TypeError):
            unchecked(_Child, ("key", "tags"))


@attrs.frozen(kw_only=True)
class _PreChecked:
    x: int

    def __attrs_pre_init__(self) -> None:
        pass


@attrs.frozen(kw_only=True, cache_hash=True)
class _CachedHash:
    x: int


@attrs.frozen(kw_only=True)
class _Aliased:
    x: int = attrs.field(alias="_obj")


@attrs.frozen(kw_only=True)
class _Span:
    start: int
    end: int

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a span ends after it starts")


@attrs.frozen(kw_only=True)
class _Converted:
    amount: float = attrs.field(converter=float)


_EVERY_BUILDER = pytest.mark.parametrize(
    "build",
    [
        unchecked,
        unchecked_init,
        unchecked_copy,
        lambda cls: unchecked_replace(cls, (attrs.fields(cls)[0].name,)),
    ],
    ids=["unchecked", "init", "copy", "replace"],
)


class TestEveryBuilderRefusesWhatItCannotMirror:
    @_EVERY_BUILDER
    @pytest.mark.parametrize("cls", [_PreChecked, _CachedHash, _Aliased, _Span])
    def test_hooks_cached_hashes_and_private_aliases(self, build: object, cls: type) -> None:
        """A hook the class runs, a hash it caches or a name the generated code uses."""
        with pytest.raises(TypeError, match="more than its slots"):
            build(cls)  # type: ignore[operator]

    @pytest.mark.parametrize(
        "build",
        [unchecked_init, unchecked_copy, lambda cls: unchecked_replace(cls, ("amount",))],
        ids=["init", "copy", "replace"],
    )
    def test_a_converter_unless_the_values_come_converted(self, build: object) -> None:
        """Only the positional builder takes converted fields: its caller gives final values."""
        with pytest.raises(TypeError, match="amount"):
            build(_Converted)  # type: ignore[operator]
        assert unchecked(_Converted)(2.0) == _Converted(amount=2)

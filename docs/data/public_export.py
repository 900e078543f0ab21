"""Write a generated lead export in the shape of a well-known public one: public_leads.csv.

Run from the repository root: ``python docs/data/public_export.py``. The file is
committed; this script says how it was made, and the benchmark and the docs call
`generate` for more rows. The real export (9,237 leads of an online-course seller, 38.5%
converted) is not shipped: its licence is not ours to grant, and keeping it outside the
project keeps its figures honest. This one has its columns and its habits: categorical
fields with "Select" where the web form offered a choice nobody made, empty cells, a
rare value or two, counts of touches instead of their times, and a 0/1 "Converted".

Unlike the real one, the truth is known: each lead is won with the probability
`TRUE_POINTS` say (log-odds per field value and per touch), so a fit can be checked
against the best any model could do (`optimum` in the result of `generate`).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
ROWS = 9_240

COLUMNS = {
    "Lead Origin": {
        "Landing Page Submission": (0.53, 0.0),
        "API": (0.39, -0.2),
        "Lead Add Form": (0.075, 2.2),
        "Lead Import": (0.005, -0.6),
    },
    "Lead Source": {
        "Google": (0.31, 0.0),
        "Direct Traffic": (0.28, -0.3),
        "Olark Chat": (0.19, -0.7),
        "Organic Search": (0.125, 0.0),
        "Reference": (0.058, 1.2),
        "Welingak Website": (0.015, 2.5),
        "Referral Sites": (0.013, -0.4),
        "Facebook": (0.006, -0.5),
        "": (0.003, 0.0),
    },
    "Specialization": {
        "Select": (0.21, -0.9),
        "": (0.16, -0.9),
        "Finance Management": (0.10, 0.3),
        "Human Resource Management": (0.09, 0.4),
        "Marketing Management": (0.09, 0.4),
        "Operations Management": (0.055, 0.3),
        "Business Administration": (0.045, 0.3),
        "IT Projects Management": (0.04, 0.2),
        "Supply Chain Management": (0.04, 0.2),
        "Banking, Investment And Insurance": (0.036, 0.5),
        "Media and Advertising": (0.022, 0.2),
        "Travel and Tourism": (0.022, 0.0),
        "International Business": (0.02, 0.1),
        "Healthcare Management": (0.017, 0.5),
        "Hospitality Management": (0.012, 0.0),
        "E-COMMERCE": (0.012, 0.2),
        "Retail Management": (0.011, 0.0),
        "Rural and Agribusiness": (0.008, 0.3),
        "E-Business": (0.006, 0.1),
        "Services Excellence": (0.004, 0.0),
    },
    "What is your current occupation": {
        "Unemployed": (0.60, 0.0),
        "": (0.29, -1.1),
        "Working Professional": (0.076, 2.6),
        "Student": (0.023, -0.2),
        "Other": (0.0054, 0.5),
        "Housewife": (0.0029, 3.0),
        "Businessman": (0.0027, 0.8),
    },
    "Country": {
        "India": (0.70, 0.0),
        "": (0.266, 0.0),
        "United States": (0.008, 0.0),
        "United Arab Emirates": (0.006, 0.0),
        "Singapore": (0.005, 0.0),
        "Saudi Arabia": (0.004, 0.0),
        "United Kingdom": (0.004, 0.0),
        "Australia": (0.003, 0.0),
        "Qatar": (0.002, 0.0),
        "Bahrain": (0.002, 0.0),
    },
    "City": {
        "Mumbai": (0.35, 0.0),
        "Select": (0.24, 0.0),
        "": (0.152, 0.0),
        "Thane & Outskirts": (0.081, 0.1),
        "Other Cities": (0.074, 0.0),
        "Other Cities of Maharashtra": (0.049, 0.1),
        "Other Metro Cities": (0.041, 0.0),
        "Tier II Cities": (0.013, -0.2),
    },
}
"""Each categorical column: value -> (share of leads, true log-odds); "" is an empty cell."""

TRUE_POINTS = {
    "TotalVisits": "0.95 * log(1 + visits)",
    "Email Opens": "0.35 per open, up to 4",
    "Form Fills": "1.1 per fill, up to 2",
}
"""The true log-odds of the count columns (a curve, a cap, a cap)."""

INTERCEPT = -2.3


def generate(n: int = ROWS, seed: int = 2026) -> dict[str, list[str]]:
    """`n` rows of the export as columns of text, and ``optimum``: each lead's true chance.

    Example:
        >>> rows = generate(200, seed=1)
        >>> sorted(rows)[:3], len(rows["Prospect ID"])
        (['City', 'Converted', 'Country'], 200)
    """
    rng = np.random.default_rng(seed)
    logit = np.full(n, INTERCEPT)
    out: dict[str, list[str]] = {
        "Prospect ID": [
            "-".join(f"{rng.integers(16**k):0{k}x}" for k in (8, 4, 4, 4, 12)) for _ in range(n)
        ]
    }
    for column, values in COLUMNS.items():
        names = list(values)
        shares = np.array([values[v][0] for v in names])
        picked = rng.choice(len(names), size=n, p=shares / shares.sum())
        logit += np.array([values[v][1] for v in names])[picked]
        out[column] = [names[i] for i in picked]
    intent = rng.gamma(2.0, 0.5, size=n)  # some leads are keener: they do everything more
    visits = rng.poisson(2.2 * intent + 0.3 * rng.gamma(1.0, 4.0, size=n))
    opens = rng.poisson(1.2 * intent)
    fills = rng.poisson(0.25 * intent)
    logit += 0.95 * np.log1p(visits) + 0.35 * np.minimum(opens, 4) + 1.1 * np.minimum(fills, 2)
    seconds = np.where(visits > 0, rng.gamma(1.5, 160.0, size=n) * np.sqrt(visits), 0.0)
    pages = np.where(visits > 0, np.round(rng.gamma(2.0, 1.2, size=n), 2), 0.0)
    unknown = rng.random(n) < 0.015  # the counts are missing now and then, as in the real one
    out["TotalVisits"] = ["" if u else str(v) for u, v in zip(unknown, visits, strict=True)]
    out["Total Time Spent on Website"] = [str(int(s)) for s in seconds]
    out["Page Views Per Visit"] = [
        "" if u else f"{p:g}" for u, p in zip(unknown, pages, strict=True)
    ]
    out["Email Opens"] = [str(v) for v in opens]
    out["Form Fills"] = [str(v) for v in fills]
    out["Do Not Email"] = ["Yes" if r < 0.08 else "No" for r in rng.random(n)]
    chance = 1.0 / (1.0 + np.exp(-logit))
    out["Converted"] = ["1" if r < p else "0" for r, p in zip(rng.random(n), chance, strict=True)]
    out["optimum"] = [f"{p:.6f}" for p in chance]
    return out


def main() -> None:
    rows = generate()
    rows.pop("optimum")
    with (HERE / "public_leads.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(rows)
        writer.writerows(zip(*rows.values(), strict=True))
    won = sum(v == "1" for v in rows["Converted"])
    print(f"{ROWS} leads, {won / ROWS:.1%} converted")


if __name__ == "__main__":
    main()

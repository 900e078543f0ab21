"""Write the cookbook's sample CRM export: leads.csv and touches.csv, seeded.

Run from the repository root: ``python docs/data/generate.py``. The files are committed;
this script says how they were made. A hidden buying intent, stronger for trade-show and
referral leads and mid-sized companies, drives both the touches and how far a lead gets,
so a good score has something to find. A few rows are messy on purpose, as real exports
are: placeholders, a misspelt number, an impossible date, an unknown source, a repeated id.
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).parent
START = datetime(2025, 1, 6, 9, 0)
SOURCES = ("Web", "Trade Show", "Referral", "Webinar", "Purchased List")
INDUSTRIES = ("Software", "Manufacturing", "Retail", "Logistics", "Select")
TITLES = ("Head of IT", "IT Director", "CTO", "Buyer", "Engineer", "Student", "", "N/A")
ACTIVITIES = ("Web Visit", "Email Open", "Email Click", "Form Fill", "Webinar", "Download")
LEADS_HEADER = [
    "Lead ID",
    "Created",
    "Lead Source",
    "First Name",
    "Last Name",
    "Email",
    "Job Title",
    "Company",
    "Industry",
    "Employees",
    "Country",
    "Annual Revenue",
    "Status",
    "MQL Date",
    "SQL Date",
    "Close Date",
    "Deal Value",
    "Loss Reason",
]


def stamp(at: datetime) -> str:
    return at.strftime("%d.%m.%Y %H:%M")


def main() -> None:
    rng = random.Random(2025)
    leads, touches = [], []
    for number in range(1, 3001):
        created = START + timedelta(days=rng.randrange(330), hours=rng.randrange(9))
        source = rng.choice(SOURCES)
        employees = rng.choice((15, 60, 250, 1200, 8000))
        intent = rng.random()
        intent += 0.3 if source in ("Trade Show", "Referral") else 0.0
        intent += 0.2 if 200 <= employees <= 5000 else 0.0
        at = created
        for _ in range(int(intent * 9)):
            at += timedelta(days=rng.randint(1, 4), minutes=rng.randrange(600))
            touches.append([f"L-{number:05d}", rng.choice(ACTIVITIES), stamp(at)])
        if rng.random() < 0.1:
            touches.append([f"L-{number:05d}", "Unsubscribe", stamp(at)])
        row = {
            "Lead ID": f"L-{number:05d}",
            "Created": stamp(created),
            "Lead Source": source,
            "First Name": rng.choice(("Ada", "Ben", "Chris", "Dana")),
            "Last Name": rng.choice(("Lind", "Berg", "Kowalski", "Rossi")),
            "Email": f"p{number}@" + rng.choice(("acme.example", "works.example", "gmail.com")),
            "Job Title": rng.choice(TITLES),
            "Company": f"Company {number}",
            "Industry": rng.choice(INDUSTRIES),
            "Employees": str(employees),
            "Country": rng.choice(("DE", "AT", "CH", "FR", "N/A")),
            "Annual Revenue": rng.choice(("", "2000000", "25000000", "300000000")),
            "Status": "Open",
            "MQL Date": "",
            "SQL Date": "",
            "Close Date": "",
            "Deal Value": "",
            "Loss Reason": "",
        }
        when = at
        if rng.random() < min(0.95, intent * 0.7):
            when += timedelta(days=rng.randint(1, 10))
            row["MQL Date"] = stamp(when)
            if rng.random() < min(0.9, intent * 0.8):
                when += timedelta(days=rng.randint(5, 30))
                row["SQL Date"] = stamp(when)
                when += timedelta(days=rng.randint(10, 60))
                row["Close Date"] = stamp(when)
                if rng.random() < min(0.9, intent * 0.6):
                    row["Status"] = "Closed Won"
                    row["Deal Value"] = rng.choice(("8000", "20000"))
                else:
                    row["Status"] = "Closed Lost"
                    row["Loss Reason"] = rng.choice(("chose a competitor", "no budget", ""))
        leads.append(row)
    leads[41]["Employees"] = "lots"
    leads[97]["Created"] = "31.02.2025 10:00"
    leads[310]["Lead Source"] = "Fax"
    leads[505]["Lead ID"] = leads[504]["Lead ID"]
    leads[777]["Annual Revenue"] = "-5"
    with (HERE / "leads.csv").open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, LEADS_HEADER)
        writer.writeheader()
        writer.writerows(leads)
    with (HERE / "touches.csv").open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["Lead ID", "Activity", "Date"])
        writer.writerows(touches)


if __name__ == "__main__":
    main()

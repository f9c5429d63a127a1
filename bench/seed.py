"""Seeds the benchmark database: one org with rate limits out of the way, many customers.

Run by bench/run.py with the benchmark's DATABASE_URL; prints {"api_key", "codes"} as JSON.
"""

import argparse
import datetime
import json
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalite.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from campaigns.services import setup_default_campaigns  # noqa: E402
from customers.models import CUSTOMER_CODE_MAX, CUSTOMER_CODE_MIN, Customer  # noqa: E402
from loyalite.services import create_api_key, create_organization  # noqa: E402

# High enough that the benchmark measures the endpoints, not the 429 path.
BENCH_RATE_PER_MINUTE = 100_000_000


@transaction.atomic
def seed(*, customers: int) -> dict:
    organization = create_organization(
        slug="bench",
        name="Bench Café",
        rate_pos_per_minute=BENCH_RATE_PER_MINUTE,
        rate_customer_per_minute=BENCH_RATE_PER_MINUTE,
    )
    organization.paid_until = timezone.now().date() + datetime.timedelta(days=365)
    organization.save(update_fields=["paid_until"])
    setup_default_campaigns(organization=organization)
    raw_key = create_api_key(organization=organization, label="bench").raw_key
    # Bulk rows instead of enroll_customer: fixture data, not the code under test.
    now = timezone.now()
    codes = random.sample(range(CUSTOMER_CODE_MIN, CUSTOMER_CODE_MAX + 1), customers)
    Customer.objects.bulk_create(
        [
            Customer(
                organization=organization,
                code=code,
                email=f"customer{index}@bench.example",
                consent_terms_at=now,
                consent_privacy_at=now,
            )
            for index, code in enumerate(codes)
        ],
        batch_size=1000,
    )
    return {"api_key": raw_key, "codes": codes}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=2000)
    args = parser.parse_args()
    print(json.dumps(seed(customers=args.customers)))


if __name__ == "__main__":
    main()

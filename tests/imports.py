"""Upload a file as a person does, then run the import job it queued, as a worker would, to the end."""

from django.test import TestCase

from integrations.models import ImportJob


def upload_and_run(client, url: str, data: dict):
    """POST the upload; run the queued slices. Returns (upload response, job or None, job page response or None)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, data)
    if response.status_code != 302:
        return response, None, None
    job = ImportJob.objects.order_by("-id").first()
    job.refresh_from_db()
    return response, job, client.get(response["Location"])


def row_errors(job: ImportJob) -> list[tuple[int, str]]:
    return [(error["row"], error["message"]) for error in job.errors]


PAID_HEADER = ("Receipt ID,Date,Amount,Recurring Total Months,Recurrence Number,Recipient,Recipient ID,Fundraising Page,"
               "Donor First Name,Donor Last Name,Donor Email,Payment Date,Lineitem ID")


def paid_csv(count: int, *, recipient: int, first_lineitem: int = 100_000) -> str:
    """An ActBlue paid export of `count` one-time gifts, one line item each."""
    rows = [f"ORD{first_lineitem + n},2024-03-01 10:00:00,10.00,1,1,Example PAC,{recipient},spring,Donor,{n},"
            f"d{n}@example.org,2024-03-01 10:00:01,{first_lineitem + n}" for n in range(count)]
    return "\n".join([PAID_HEADER, *rows]) + "\n"

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

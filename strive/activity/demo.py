"""The activity side of `make run`'s demo: the sandbox's pages push their actions to this app's webhook URL."""

import requests

from actionkit.errors import ActionKitError
from actionkit.factory import client_for_credentials
from actionkit.sandbox import DEMO_PASSWORD, DEMO_USERNAME
from strive.activity.services.webhooks import webhook_path


def demo_sandbox_pushes_to_us(*, connection, sandbox_host: str, app_url: str, stdout) -> None:
    """Do in the sandbox what an admin does in ActionKit: enter the integration webhook as the pages' push endpoint,
    so an action taken on a sandbox page reaches this app at once (once the page is synced here). Registered as a
    member sync demo step (strive.demo); without the app's URL there is nothing to point the pages at."""
    if not app_url:
        return
    control = f"http://{sandbox_host}/_sandbox/push_endpoints"
    url = app_url.rstrip("/") + webhook_path(connection=connection)
    try:
        if any(e["url"] == url for e in requests.get(control, timeout=10).json()["objects"]):
            return
        client = client_for_credentials(host=sandbox_host, username=DEMO_USERNAME, password=DEMO_PASSWORD)
        pages = [page["id"] for page in client.pages_updated_since(None)]
        requests.post(control, json={"name": "Strive demo", "url": url, "pages": pages}, timeout=10).raise_for_status()
    except (requests.RequestException, ActionKitError, KeyError, ValueError) as exc:
        if stdout:
            stdout.write(f"The sandbox's pages were not pointed at the webhook URL ({exc}); the polls still sync them.")
        return
    if stdout:
        stdout.write(f"Sandbox: actions on its {len(pages)} pages are pushed to the member sync's webhook URL.")

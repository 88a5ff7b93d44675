"""Screenshots of every page at 1280 px and 390 px, from a running `make run`, to look at before a release.

    make run                                # in one terminal
    python scripts/screenshots.py           # in another; PNGs go to $VAR_DIR/screenshots/ (default var/)

Options: --url (default http://127.0.0.1:$PORT/), --user/--password (the demo login), --entity (demo-pac).
Each PNG is a full page; a page wider than the window at 390 px is reported as scrolling sideways.
Needs Debian's chromium (/usr/bin/chromium) and the playwright package, as the browser tests do.
"""

import argparse
import os
import re
import sys
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
WIDTHS = {"wide": 1280, "phone": 390}
# Name -> path under /e/<entity>/; pages that need an id take the first matching link from a list page instead.
ENTITY_PAGES = {
    "hub": "integrations/",
    "contributions-connect": "actblue/connect/",
    "contributions-details": "actblue/details/",
    "contributions-settings": "actblue/settings/",
    "contributions-identity": "actblue/identity/",
    "contributions-backfill": "actblue/backfill/",
    "contributions-list": "actblue/contributions/",
    "contributions-import": "actblue/contributions/import/",
    "members-connect": "strive/connect/",
    "members-details": "strive/details/",
    "members-fields": "strive/details/fields/",
    "members-settings": "strive/details/settings/",
    "members-users": "strive/details/users/",
    "members-list": "strive/members/",
    "members-add": "strive/members/add/",
    "members-import": "strive/members/import/",
    "members-custom-fields": "strive/members/custom-fields/",
    "members-groups": "strive/groups/",
    "activity-pages": "strive/activity/pages/",
    "activity-actions": "strive/activity/actions/",
    "activity-actionfield-groups": "strive/activity/actionfield-groups/",
    "activity-usergroups": "strive/activity/usergroups/",
    "activity-outbox": "strive/activity/outbox/",
    "activity-settings": "strive/activity/settings/",
    "team": "team/",
    "you": "you/",
    "activity-log": "activity/",
    "api-keys": "api-keys/",
}
# (name, list page, pattern, page): the first link or form on the list page matching the pattern gives the id.
LINKED_PAGES = [
    ("members-member", "strive/members/", r"/strive/members/(\d+)/$", "strive/members/{}/"),
    ("activity-automation", "strive/activity/pages/", r"/strive/activity/pages/(\d+)/", "strive/activity/pages/{}/automation"),
]
ACCOUNT_PAGES = {"account-email": "email/", "account-password": "password/change/", "account-2fa": "2fa/"}
LOGGED_OUT_PAGES = {"login": "login/", "sign-up": "signup/", "password-reset": "password/reset/",
                    "not-found": "no-such-page/"}


def main() -> int:
    args = _arguments()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        for label, width in WIDTHS.items():
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            for name, path in LOGGED_OUT_PAGES.items():
                _shoot(page, args.url + path, out / f"{name}-{label}.png", problems)
            _login(page, args)
            base = f"{args.url}e/{args.entity}/"
            for name, path in ENTITY_PAGES.items():
                _shoot(page, base + path, out / f"{name}-{label}.png", problems)
            for name, path in ACCOUNT_PAGES.items():
                _shoot(page, args.url + path, out / f"{name}-{label}.png", problems)
            for name, path, pattern, target in LINKED_PAGES:
                found = _first_id(page, base + path, pattern)
                if found:
                    _shoot(page, base + target.format(found), out / f"{name}-{label}.png", problems)
                else:
                    problems.append(f"{name}: no link matching {pattern} on {path}")
            context.close()
        browser.close()
    print(f"Screenshots in {out}/")
    for problem in problems:
        print("  " + problem)
    return 1 if problems else 0


def _arguments() -> argparse.Namespace:
    var = Path(os.environ.get("VAR_DIR") or Path(__file__).resolve().parents[1] / "var")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/")
    parser.add_argument("--user", default="demo-admin")
    parser.add_argument("--password", default="demo-admin-password")
    parser.add_argument("--entity", default="demo-pac")
    parser.add_argument("--out", default=str(var / "screenshots"))
    args = parser.parse_args()
    args.url = args.url.rstrip("/") + "/"
    return args


def _login(page, args) -> None:
    page.goto(args.url + "login/")
    page.fill("input[name=login]", args.user)
    page.fill("input[name=password]", args.password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    if "/login/" in page.url:
        sys.exit(f"Could not log in as {args.user} at {args.url}login/")


def _shoot(page, url: str, path: Path, problems: list[str]) -> None:
    try:
        response = page.goto(url)
        page.wait_for_load_state("networkidle")
    except PlaywrightError as exc:
        problems.append(f"{path.name}: {exc.message.splitlines()[0]}")
        return
    status = response.status if response else 0
    if status >= 500 or (status >= 400 and "not-found" not in path.name):
        problems.append(f"{path.name}: HTTP {status} at {url}")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if overflow > 0:
        problems.append(f"{path.name}: scrolls sideways by {overflow} px")
    page.screenshot(path=str(path), full_page=True)


def _first_id(page, url: str, pattern: str) -> str | None:
    page.goto(url)
    targets = page.eval_on_selector_all("a[href], form[action]", "els => els.map(e => e.href || e.action)")
    return next((m.group(1) for m in (re.search(pattern, t) for t in targets) if m), None)


if __name__ == "__main__":
    sys.exit(main())

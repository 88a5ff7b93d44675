"""Every page's frame: a skip link first, a favicon, and tables that scroll inside their card."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.django_db
def test_the_skip_link_is_the_first_focusable_element_and_points_at_main(cast):
    page = cast.client_for(cast.alice).get(reverse("integrations:activity", args=[cast.entity_a.slug])).content.decode()
    body = page.split("<body>", 1)[1]
    first = re.search(r"<(a|button|input|select|textarea|summary)\b[^>]*>([^<]*)", body)
    assert first.group(0).startswith('<a class="skip-link" href="#content"') and first.group(2) == "Skip to content"
    assert '<main class="container" id="content"' in page


@pytest.mark.django_db
def test_every_page_links_a_favicon_that_exists(client):
    page = client.get(reverse("account_login")).content.decode()
    href = re.search(r'<link rel="icon" href="([^"]+)"', page).group(1)
    assert href.endswith("favicon.svg") and finders.find("favicon.svg")


def test_every_table_scrolls_inside_its_card():
    bare = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"<table\b", text):
            if not text[:match.start()].rstrip().endswith('<div class="table-scroll">'):
                bare.append(f"{path.relative_to(TEMPLATES)}")
    assert bare == []

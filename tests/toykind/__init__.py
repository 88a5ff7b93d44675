"""A toy third integration, built by following docs/adding-a-kind.md, to prove the checklist works.

It has the files of a real kind app in their roles (kind.py, sender.py, demo.py, services.py, views.py, urls.py)
but no models or AppConfig: test_toykind.py does what ready() would, and project_urls.py mounts its pages beside
the project's. Its pages are not in the project's URLconf, so its isolation list lives in the test module
instead of tests/toykind/isolation.py, which the project-wide walker would try to reverse.
"""

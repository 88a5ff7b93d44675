"""Every write of the ActBlue app. Import from the submodules; this package only groups them."""

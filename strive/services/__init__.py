"""Every write of the strive app. Modules: members, groups, fields, settings, sync, pushes, polls, activation."""

"""Every write in the hub goes through a function in this package. Views, tasks, admin and commands call them."""

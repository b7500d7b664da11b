"""The Manage area: admin screens inside the product (see ``governance.manage.base``)."""

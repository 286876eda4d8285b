"""sigma-migrate: plan and apply the move of a Sigma organization to SCIM provisioning."""

__version__ = "0.1.0"

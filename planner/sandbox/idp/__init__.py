"""Local emulators of the IdP APIs ``fetch-idp`` reads (Okta, Microsoft Graph, Google Directory)."""

from .server import IdpEmulator, IdpFaults

__all__ = ["IdpEmulator", "IdpFaults"]

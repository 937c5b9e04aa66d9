"""Generated wgtwo stubs (``make protos``); do not edit."""

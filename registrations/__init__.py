"""Operator control plane: wgtwo contracts, OAuth2, SipBreakout client, registration lifecycle."""

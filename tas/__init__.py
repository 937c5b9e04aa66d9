"""TAS companion: a SIP Telephony Application Server for an operator core with SIP breakout."""

__version__ = "0.1.0"

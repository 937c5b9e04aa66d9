"""RFC 3263 location of SIP servers by name: the pure selection (:mod:`tas.dns.select`), the
answer cache (:mod:`tas.dns.cache`) and the dnspython adapter (:mod:`tas.dns.resolver`)."""

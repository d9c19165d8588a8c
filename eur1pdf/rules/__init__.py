"""Rules: a certificate checked against its form and its agreement, as findings."""

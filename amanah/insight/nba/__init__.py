"""Next Best Action (seed 001 §4, seed 003 US-18): rules as data, arbitration per customer,
decisions and outcomes. ``models`` (tables), ``conditions`` (the facts a rule may name and how
a condition is checked), ``evaluate`` (the live arbitration), ``services`` (every write)."""

"""What messaging offers the house (filled in as the outbox lands)."""

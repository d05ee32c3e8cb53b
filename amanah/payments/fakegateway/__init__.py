"""A loopback stand-in for the Midtrans and Xendit payment APIs (tests and the demo)."""

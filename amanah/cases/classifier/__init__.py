"""Complaint auto-classification (issue 17): a generic text classifier (``engine``) whose
labels, training set and priority rules come from a deployment profile (``profiles``; ``pdam``
first), applied at intake and decided on by agents (``services``)."""

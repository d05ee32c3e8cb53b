"""The customers app's pages, one module per kind of work: ``records`` (register, edit),
``duplicates`` (data quality), ``masterdata`` (identities and relations), ``portfolio`` (RM
portfolios), ``fraud`` (the fraud flag)."""

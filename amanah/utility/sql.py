"""The utility's hand-written SQL, each statement held to the ORM's answer by a test
(``utility/tests/test_arrears_source.py``).

``ARREARS_SOURCE`` — the water bills in arrears as field ops' arrears source
(``fieldops.contract.ARREARS_COLUMNS``, one row per pelanggan; ``arrears.py`` declares it):
the overdue open bills of each connection (due before the day asked for, not fully paid)
summed, the oldest one's age, the bills with their periods and what is owed on each, the last
payment, the connection's number and tariff group (the segment a rule may ask for), its address
written out (RT, RW and house number named, so the address-quality rule reads it), and where
it is: the technician's surveyed GPS of its installation (pasang baru), else the connection's
own coordinates — ``INSTALLATION`` either way (seed 002: the installation's coordinates are
what finds the house), ``NONE`` without. A merged-away or closed customer is left out.

Placeholders are positional (``%s``): field ops wraps the statement in its own ``INSERT …
SELECT`` with parameters before and after. ``arrears.py`` supplies the day (three times) and,
for one pelanggan, the customer's id (``{customer}``).
"""

ARREARS_SOURCE = """
SELECT c.customer_id,
       c.branch_id,
       (%s::date - min(b.due_on)) AS days_past_due,
       sum(b.total - b.paid)::numeric AS outstanding,
       jsonb_build_object(
           'kind', 'WATER',
           'connection', c.number,
           'tariff', t.code,
           'bills', count(*),
           'periods', jsonb_agg(to_char(b.period, 'YYYY-MM') ORDER BY b.period),
           'items', jsonb_agg(
               jsonb_build_object(
                   'period', to_char(b.period, 'YYYY-MM'),
                   'due_on', b.due_on,
                   'owed', b.total - b.paid
               ) ORDER BY b.period
           ),
           'as_of', %s::date
       ) AS billing,
       (SELECT max(r.paid_on) FROM utility_receipt r WHERE r.connection_id = c.id)
           AS last_payment_on,
       coalesce(i.survey_lat, c.lat)::float8 AS latitude,
       CASE WHEN i.survey_lat IS NOT NULL THEN i.survey_lon ELSE c.lon END::float8 AS longitude,
       CASE WHEN coalesce(i.survey_lat, c.lat) IS NULL THEN 'NONE' ELSE 'INSTALLATION' END
           AS location_source,
       concat_ws(
           ', ',
           nullif(concat_ws(' ', nullif(c.street, ''), 'No. ' || nullif(c.house_number, '')), ''),
           'RT ' || nullif(c.rt, ''),
           'RW ' || nullif(c.rw, ''),
           nullif(c.village, ''),
           nullif(c.district, '')
       ) AS address,
       c.number AS account_ref,
       t.code AS segment
FROM utility_bill b
JOIN utility_connection c ON c.id = b.connection_id
JOIN utility_tariffgroup t ON t.id = c.tariff_group_id
JOIN customers_customer cu ON cu.id = c.customer_id
LEFT JOIN utility_installation i
  ON i.connection_id = c.id AND i.survey_lat IS NOT NULL AND i.survey_lon IS NOT NULL
WHERE b.status = 'OPEN' AND b.paid < b.total AND b.due_on < %s::date
  AND cu.merged_into_id IS NULL AND cu.status <> 'CLOSED'
  {customer}
GROUP BY c.id, t.code, i.survey_lat, i.survey_lon
"""

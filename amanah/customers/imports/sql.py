"""The customers import's statements (``imports.customers.apply``), in the batch's one
transaction. ``{staged}`` is the pipeline's SELECT of ``(line, source_key, data)``.

The rows: ``import_row`` (every staged row, its CIF, account, branch, the customer already
holding its CIF, the first line of its CIF), ``import_customer`` (one new customer per new
CIF: its first row), ``import_account`` (each row's account number and the customer it goes
to — known or new)."""

# Rows whose branch closed since the dry run (checked again inside the write).
BRANCH_GONE = """
SELECT s.line FROM ({staged}) s
LEFT JOIN iam_branch b ON b.code = s.data->>'branch' AND b.is_active
WHERE b.id IS NULL ORDER BY 1 LIMIT 1000
"""

ROWS = """
CREATE TEMP TABLE import_row ON COMMIT DROP AS
SELECT s.line, s.data->>'cif' AS cif, s.data->>'account' AS account, s.data,
       b.id AS branch_id, i.customer_id AS known_id,
       min(s.line) OVER (PARTITION BY s.data->>'cif') AS first_line
FROM ({staged}) s
JOIN iam_branch b ON b.code = s.data->>'branch'
LEFT JOIN customers_customeridentifier i ON i.id_type = 'CIF' AND i.id_value = s.data->>'cif'
"""

# Time-ordered ids for the batch's new rows (the UUIDv7 layout: milliseconds, version 7, 24
# random bits, then a counter in the rows' insertion order): the primary keys and the
# identifiers' customer index then grow at their right edge instead of at random pages.
_ORDERED_ID = """(
    (SELECT lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
            || '7' || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 3))
    || lpad(to_hex(row_number() OVER (ORDER BY {order})), 12, '0'))::uuid"""

NEW = f"""
CREATE TEMP TABLE import_customer ON COMMIT DROP AS
SELECT {_ORDERED_ID.format(order="branch_id, line")} AS id, line, cif, data, branch_id
FROM import_row WHERE known_id IS NULL AND line = first_line
"""  # noqa: S608 (constants)

ACCOUNTS = """
CREATE TEMP TABLE import_account ON COMMIT DROP AS
SELECT r.line, coalesce(r.known_id, n.id) AS customer_id, r.known_id IS NOT NULL AS known,
       r.account, h.customer_id AS holder
FROM import_row r
LEFT JOIN import_customer n ON n.cif = r.cif
LEFT JOIN customers_customeridentifier h ON h.id_type = 'ACCOUNT_NO' AND h.id_value = r.account
WHERE r.account <> ''
"""

# An account held by another customer, or sent for two customers in the batch.
ACCOUNT_CLASH = """
SELECT line FROM import_account WHERE holder IS NOT NULL AND holder <> customer_id
UNION
SELECT a.line FROM import_account a JOIN (
    SELECT account FROM import_account GROUP BY account HAVING count(DISTINCT customer_id) > 1
) shared USING (account)
ORDER BY 1 LIMIT 1000
"""

# The known customers the batch adds an account to (the importer must be allowed to).
KNOWN_GAINING = "SELECT DISTINCT customer_id FROM import_account WHERE known AND holder IS NULL"

INSERT_CUSTOMERS = """
INSERT INTO customers_customer
    (id, full_name, name_search, birth_date, gender, phone_e164, email, segment_code, status,
     is_vip, fraud_flag, home_branch_id, has_savings, has_mobile_banking, has_loan,
     has_credit_card, merged_into_id, created_at, updated_at, closed_at)
SELECT id, data->>'full_name', data->>'name_search', (data->>'birth_date')::date,
       data->>'gender', data->>'phone_e164', data->>'email', data->>'segment_code', 'ACTIVE',
       false, false, branch_id, (data->>'has_savings')::boolean,
       (data->>'has_mobile_banking')::boolean, (data->>'has_loan')::boolean,
       (data->>'has_credit_card')::boolean, NULL, now(), now(), NULL
FROM import_customer ORDER BY id
"""

# The first row of the batch holding a NIK gets it, unless an existing customer holds it.
NIK_OWNER = """
CREATE TEMP TABLE import_nik ON COMMIT DROP AS
SELECT n.id, n.data->>'nik' AS nik,
       coalesce(i.customer_id, first_value(n.id) OVER (PARTITION BY n.data->>'nik'
                                                       ORDER BY n.line)) AS owner
FROM import_customer n
LEFT JOIN customers_customeridentifier i ON i.id_type = 'NIK' AND i.id_value = n.data->>'nik'
WHERE n.data->>'nik' <> ''
"""

# A new customer's CIF and NIK; every account not held yet (a known customer's first account
# is primary only when it has none).
INSERT_IDENTIFIERS = f"""
INSERT INTO customers_customeridentifier
    (id, customer_id, id_type, id_value, is_primary, verified_at, verification_method,
     created_at, updated_at)
SELECT {_ORDERED_ID.format(order="customer_id, id_type, id_value")}, customer_id, id_type,
       id_value, is_primary, NULL::timestamptz, '', now(), now()
FROM (
    SELECT id AS customer_id, 'CIF' AS id_type, cif AS id_value, true AS is_primary
    FROM import_customer
    UNION ALL
    SELECT id, 'NIK', nik, true FROM import_nik WHERE owner = id
    UNION ALL
    SELECT a.customer_id, 'ACCOUNT_NO', a.account,
           row_number() OVER (PARTITION BY a.customer_id ORDER BY a.line) = 1
           AND NOT EXISTS (SELECT 1 FROM customers_customeridentifier p
                           WHERE p.customer_id = a.customer_id AND p.id_type = 'ACCOUNT_NO'
                             AND p.is_primary)
    FROM import_account a WHERE a.holder IS NULL
) i
ORDER BY customer_id, id_type, id_value
"""  # noqa: S608 (constants)

# The lines that wrote something: a new customer's first row, a row whose account was added.
WRITTEN_LINES = """
SELECT line FROM import_customer
UNION
SELECT line FROM import_account WHERE holder IS NULL
"""

# The batch's pairs to flag: a NIK held already (``import_nik``) and a phone shared with other
# customers (not merged away), at most 20 others for each new customer, as ``customer_create``
# flags them. Written set-based, not as a per-row LATERAL … LIMIT 20: right after a large
# insert the planner's statistics of customers_customer still describe the table before it
# (an empty bank's first load: "15 rows"), and the per-row plan it picked then — a BitmapAnd
# with the ``merged_into_id IS NULL`` index, i.e. every customer, once per new row — made
# this statement quadratic (minutes at 100,000 rows). Here the holders of the batch's phones
# are found by one join on the phone alone (the MATERIALIZED fence keeps the merged-away
# filter off the index scan), and a phone's first 21 holders are enough to give each of its
# customers 20 others.
FLAG = """
WITH phones AS MATERIALIZED (
    SELECT DISTINCT data->>'phone_e164' AS phone FROM import_customer
    WHERE data->>'phone_e164' <> ''
), holders AS MATERIALIZED (
    SELECT c.id, c.phone_e164::text AS phone, c.merged_into_id
    FROM customers_customer c JOIN phones p ON c.phone_e164 = p.phone
), shared AS (
    SELECT id, phone FROM (
        SELECT id, phone, row_number() OVER (PARTITION BY phone ORDER BY id) AS k
        FROM holders WHERE merged_into_id IS NULL) h
    WHERE k <= 21
)
INSERT INTO customers_duplicateflag
    (customer_a_id, customer_b_id, reason, score, status, detected_at, decision_note)
SELECT least(a, b), greatest(a, b), reason, 1.0, 'OPEN', now(), '' FROM (
    SELECT id AS a, owner AS b, 'SAME_NIK' AS reason FROM import_nik WHERE owner <> id
    UNION ALL
    SELECT a, b, 'SAME_PHONE' FROM (
        SELECT n.id AS a, s.id AS b, row_number() OVER (PARTITION BY n.id ORDER BY s.id) AS k
        FROM import_customer n JOIN shared s ON s.phone = n.data->>'phone_e164' AND s.id <> n.id
    ) others
    WHERE k <= 20
) pairs
ON CONFLICT (customer_a_id, customer_b_id, reason) DO NOTHING
"""

DROP = "DROP TABLE IF EXISTS import_row, import_customer, import_account, import_nik"

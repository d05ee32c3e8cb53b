"""The PDAM training set: complaints composed from parts, deterministic by seed.

A complaint is an opening (greeting, none), a core statement of the problem (per label, many
phrasings and synonyms), optional details (an address "di Jl. …", a time "sejak pagi", an
effect), optional closing (a plea), then noise applied word by word: chat abbreviations
(gk, ga, tdk, sdh, blm, yg …), typos (a dropped, doubled or swapped letter), lower case and
punctuation dropped. Regional words (Medan/Batak, Javanese, Sundanese) and English code-mixing
come in as phrasings of their own where people would really write them.

The hand-written test set (``handwritten.csv``) is never produced here: a test checks that no
generated text equals one of its texts.
"""

from __future__ import annotations

import random

LABELS = (
    "air_mati",
    "air_keruh",
    "tekanan_lemah",
    "pipa_bocor",
    "meter_rusak",
    "tagihan",
    "sambungan_baru",
    "lainnya",
    "penipuan",
    "petugas",
)

WATER = [
    "air",
    "air PDAM",
    "air ledeng",
    "aliran air",
    "air di rumah",
    "air di rumah saya",
    "airnya",
]

CORE = {
    "air_mati": [
        "{water} mati",
        "{water} tidak keluar",
        "{water} tidak mengalir",
        "{water} tidak ada",
        "{water} tidak hidup",
        "keran kering",
        "keran tidak ada airnya",
        "keran kosong",
        "air mati total",
        "air padam",
        "tidak ada air sama sekali",
        "air berhenti mengalir",
        "suplai air terputus",
        "pasokan air terhenti",
        "pemadaman air",
        "gangguan distribusi, air tidak sampai",
        "air nggak keluar",
        "air ga ngalir",
        "airnya mati",
        "bak sudah kosong karena air tidak datang",
        "no water",
        "water is off",
        "water supply cut",
        "air mati, no water at all",
        "banyu mati",  # Javanese
        "banyune ora metu",
        "banyu ora mili",
        "cai pareum",  # Sundanese
        "cai teu kaluar",
        "cai teu ngocor",
        "air tak keluar pun",  # Medan
        "mati kali airnya",
        "keran cuma keluar angin",
    ],
    "air_keruh": [
        "{water} keruh",
        "{water} kotor",
        "{water} butek",
        "{water} berwarna coklat",
        "{water} kuning",
        "{water} kehitaman",
        "{water} berbau",
        "{water} bau kaporit",
        "{water} bau lumpur",
        "{water} bau busuk",
        "{water} bau besi",
        "{water} berpasir",
        "ada endapan lumpur di air",
        "ada kotoran di air",
        "air bercampur tanah",
        "air berlumut",
        "air seperti air sungai",
        "air tidak jernih",
        "kualitas air jelek",
        "air berwarna keruh kecoklatan",
        "air tidak layak pakai karena kotor",
        "dirty water",
        "water is muddy",
        "the water smells",
        "air keruh, dirty banget",
        "banyune buthek",  # Javanese
        "banyune reged",
        "cai kiruh",  # Sundanese
        "caina kotor",
        "kotor kali airnya",  # Medan
        "air karatan warna merah",
    ],
    "tekanan_lemah": [
        "{water} kecil",
        "{water} lemah",
        "{water} pelan",
        "{water} netes",
        "{water} keluar sedikit",
        "tekanan air lemah",
        "tekanan air kecil",
        "tekanan air turun",
        "debit air kecil",
        "debit air berkurang",
        "aliran air lemah",
        "aliran air kecil sekali",
        "air hanya menetes",
        "air tidak kuat naik ke toren",
        "air tidak sampai ke lantai atas",
        "air cuma keluar tengah malam",
        "ngalir tapi kecil",
        "air kecil banget",
        "low water pressure",
        "pressure air lemah",
        "water pressure drop",
        "banyune cilik",  # Javanese
        "banyune mili sithik",
        "cai leutik",  # Sundanese
        "ngocorna laun",
        "kecil kali airnya",  # Medan
        "air keluar kecil, harus pakai pompa",
    ],
    "pipa_bocor": [
        "pipa bocor",
        "pipa PDAM bocor",
        "pipa pecah",
        "pipa patah",
        "pipa retak",
        "kebocoran pipa",
        "ada kebocoran air",
        "air muncrat dari pipa",
        "air menyembur dari tanah",
        "air merembes dari jalan",
        "pipa dinas bocor",
        "pipa distribusi bocor",
        "pipa induk bocor",
        "pipa utama pecah",
        "sambungan pipa bocor",
        "paralon bocor",
        "ada genangan dari pipa bocor",
        "air terbuang dari pipa yang bocor",
        "pipe burst",
        "leaking pipe",
        "pipa bocor, water everywhere",
        "pipane bocor",  # Javanese
        "pipa bocor, banyu mbleber",
        "pipa bocor, cai muncrat",  # Sundanese
        "bocor kali pipanya",  # Medan
        "pipa bocor kena galian",
    ],
    "meter_rusak": [
        "meter air rusak",
        "meteran rusak",
        "meteran tidak berputar",
        "meteran macet",
        "meter mati",
        "angka meter tidak bergerak",
        "jarum meter tidak jalan",
        "kaca meteran pecah",
        "meteran buram tidak terbaca",
        "meteran berembun",
        "meter air hilang",
        "meteran dicuri",
        "meteran berputar sendiri",
        "meteran tidak akurat",
        "segel meter rusak",
        "minta ganti meter",
        "meter perlu ditera ulang",
        "water meter broken",
        "meter stuck",
        "meteran error",
        "meterane rusak",  # Javanese
        "meteran ruksak",  # Sundanese
        "rusak kali meterannya",  # Medan
    ],
    "tagihan": [
        "tagihan tidak sesuai",
        "tagihan naik drastis",
        "tagihan terlalu mahal",
        "tagihan membengkak",
        "rekening air tidak wajar",
        "pemakaian di tagihan tidak sesuai",
        "angka stand meter di tagihan salah",
        "tagihan ditaksir",
        "ditagih dua kali",
        "sudah bayar tapi masih ditagih",
        "pembayaran belum tercatat",
        "denda tidak wajar",
        "biaya beban salah",
        "tarif golongan salah",
        "salah catat meter",
        "tagihan bulan ini aneh",
        "rekening membengkak",
        "bill too high",
        "tagihan over charge",
        "wrong bill",
        "tagihane larang",  # Javanese
        "tagihan mahal teuing",  # Sundanese
        "mahal kali tagihannya",  # Medan
        "bayar air mahal",
    ],
    "sambungan_baru": [
        "mau pasang baru",
        "ingin pasang sambungan baru",
        "daftar sambungan baru",
        "permohonan pasang baru",
        "pengajuan sambungan rumah",
        "pemasangan air baru",
        "mau berlangganan air PDAM",
        "pendaftaran pelanggan baru",
        "syarat pasang baru",
        "biaya pasang baru",
        "pasang baru belum dipasang",
        "survei pasang baru belum datang",
        "instalasi sambungan belum dikerjakan",
        "mau sambung kembali setelah diputus",
        "RAB sambungan baru",
        "new connection",
        "apply new connection",
        "mau pasang air",
        "arep pasang banyu anyar",  # Javanese
        "hoyong masang cai",  # Sundanese
        "mau pasang air pun",  # Medan
    ],
    "lainnya": [
        "pelayanan kantor lambat",
        "antrian di loket lama sekali",
        "call center susah dihubungi",
        "telepon tidak diangkat",
        "mau ganti nama pelanggan",
        "balik nama rekening air",
        "ubah data pelanggan",
        "ganti nomor telepon",
        "mau berhenti langganan",
        "minta pemutusan sementara",
        "minta info jam pelayanan",
        "alamat kantor cabang",
        "aplikasi tidak bisa dibuka",
        "website error",
        "bekas galian tidak ditutup",
        "jalan rusak bekas galian",
        "ada sambungan liar",
        "pencurian air oleh tetangga",
        "minta surat keterangan",
        "saran untuk pelayanan",
        "terima kasih atas pelayanannya",
        "lowongan kerja",
        "cara hemat air",
        "tanya jadwal pemeliharaan",
        "app error",
        "kumaha ngaganti data",  # Sundanese
        "piye carane ganti jeneng",  # Javanese
        "mau tanya pun",  # Medan
    ],
    "penipuan": [
        "ada penipuan mengatasnamakan {org}",
        "orang mengaku petugas {org} minta uang",
        "ada yang ngaku dari {org} minta transfer",
        "petugas gadungan datang ke rumah",
        "SMS tagihan palsu atas nama {org}",
        "pesan WA suruh klik link bayar air",
        "ditelepon minta kode OTP katanya dari {org}",
        "disuruh install aplikasi apk tagihan air",
        "diminta transfer ke rekening pribadi untuk ganti meter",
        "katanya dapat hadiah undian dari {org}",
        "kwitansi palsu pakai logo {org}",
        "orang berseragam {org} tagih uang ternyata bukan petugas",
        "nomor tidak dikenal mengaku pegawai {org}",
        "akun palsu {org} di media sosial",
        "scam pakai nama {org}",
        "someone pretending to be {org} staff",
        "fake {org} officer asked for money",
        "ana wong ngaku saka {org} njaluk dhuwit",  # Javanese
        "aya nu ngaku ti {org} menta duit",  # Sundanese
        "ada yang ngaku orang {org} minta duit pun",  # Medan
    ],
    "petugas": [
        "petugas minta uang rokok",
        "petugas minta uang tambahan di luar tarif resmi",
        "ada pungli saat pasang baru",
        "pencatat meter minta imbalan",
        "teknisi minta uang tanpa kwitansi",
        "petugas minta uang pelicin",
        "petugas tidak ramah",
        "petugas kasar",
        "petugas membentak pelanggan",
        "pegawai loket tidak sopan",
        "petugas marah-marah",
        "petugas mengancam putus sambungan kalau tidak bayar di tempat",
        "petugas masuk pekarangan tanpa izin",
        "cs jutek dan tidak melayani",
        "staff rude",
        "officer asked for a bribe",
        "petugase ora sopan",  # Javanese
        "petugasna teu sopan",  # Sundanese
        "kasar kali petugasnya",  # Medan
    ],
}

DETAILS = {
    "air_mati": [
        "sudah {n} hari",
        "satu gang mati semua",
        "kami harus beli air galon",
        "belum bisa mandi",
        "tidak ada pemberitahuan",
        "bak penampungan habis",
    ],
    "air_keruh": [
        "tidak bisa dipakai masak",
        "anak gatal-gatal setelah mandi",
        "saringan cepat mampet",
        "ada endapan di ember",
        "baju jadi kuning",
        "tidak berani dipakai wudhu",
    ],
    "tekanan_lemah": [
        "toren tidak penuh",
        "isi ember lama sekali",
        "mesin cuci tidak jalan",
        "harus tunggu malam",
        "pompa harus nyala terus",
        "tidak cukup untuk mandi",
    ],
    "pipa_bocor": [
        "jalan jadi banjir",
        "airnya terbuang",
        "aspal jadi berlubang",
        "sudah {n} hari tidak diperbaiki",
        "airnya deras sekali",
        "halaman becek",
    ],
    "meter_rusak": [
        "petugas tidak bisa baca",
        "angkanya tidak berubah",
        "mohon diganti",
        "takut tagihan salah",
        "sudah {n} bulan begini",
    ],
    "tagihan": [
        "biasanya cuma {rp} ribu",
        "sekarang jadi {rp} ribu",
        "padahal pemakaian sama",
        "rumah kosong",
        "minta dikoreksi",
        "mohon dicek ulang",
    ],
    "sambungan_baru": [
        "syaratnya apa saja",
        "biayanya berapa",
        "sudah bayar tapi belum dipasang",
        "untuk rumah baru",
        "untuk ruko",
        "bisa dicicil tidak",
    ],
    "lainnya": [
        "mohon ditindaklanjuti",
        "tolong diperbaiki pelayanannya",
        "mohon infonya",
        "sudah berkali-kali",
    ],
    "penipuan": [
        "apakah benar itu dari PDAM",
        "tetangga sudah ada yang kena",
        "saya belum transfer",
        "saya sudah terlanjur bayar {rp} ribu",
        "mohon warga diberi peringatan",
        "nomornya masih aktif",
    ],
    "petugas": [
        "mohon ditindak tegas",
        "saya punya rekamannya",
        "kejadiannya di depan rumah saya",
        "sudah saya kasih {rp} ribu",
        "tolong petugasnya ditegur",
        "saya merasa tidak dihargai",
    ],
}

OPENINGS = [
    "",
    "",
    "",
    "Selamat pagi,",
    "Selamat siang,",
    "Assalamualaikum,",
    "Permisi,",
    "Halo PDAM,",
    "Kepada PDAM,",
    "Yth. PDAM,",
    "Min,",
    "Pak,",
    "Bu,",
    "Bang,",
    "Lae,",  # Batak
    "Mas,",
    "Punten,",  # Sundanese
    "Tolong,",
    "Mohon bantuan,",
    "Saya mau lapor,",
    "Hi admin,",
]

CLOSINGS = [
    "",
    "",
    "",
    "mohon segera ditangani",
    "tolong dicek",
    "terima kasih",
    "mohon bantuannya",
    "tolong la",
    "please fix asap",
    "segera ya",
    "makasih",
    "tolong cepat",
    "nuhun",
    "matur nuwun",
    "kecewa sekali",
    "mohon PDAM segera tanggapi",
    "terima kasih PDAM",
    "tolong PDAM perhatikan",
]

# How people name the utility (every label says it: "PDAM" alone must not mean a scam).
ORGS = ["PDAM", "PDAM", "PDAM", "PAM", "perusahaan air", "kantor PDAM"]

STREETS = [
    "Jl. Sudirman",
    "Jl. Merdeka",
    "Jl. Diponegoro",
    "Jl. Imam Bonjol",
    "Jl. Pattimura",
    "Jl. Kartini",
    "Jl. Teuku Umar",
    "Jl. Asia",
    "Jl. Thamrin",
    "Jl. Gajah Mada",
    "Jl. Veteran",
    "Jl. Pahlawan",
    "Jl. Melati",
    "Jl. Kenanga",
    "Gg. Mawar",
    "Jl. Pasar Baru",
    "Perumahan Taman Sari",
    "Kompleks Bumi Indah",
]
PLACES = [
    "di {street} no {n}",
    "di {street}",
    "di daerah {street}",
    "depan rumah di {street}",
    "di RT {n} RW {m}",
    "di kelurahan Sukamaju",
    "di kecamatan Medan Baru",
]
TIMES = [
    "sejak pagi",
    "dari kemarin",
    "sejak tadi malam",
    "dari subuh",
    "sejak {n} hari",
    "sejak minggu lalu",
    "dari jam {h}",
    "sejak sore",
    "since yesterday",
    "udah seminggu",
    "dari wingi",  # Javanese
    "ti kamari",  # Sundanese
]

ABBREVIATIONS = {
    "tidak": ["tdk", "gk", "ga", "gak", "nggak", "ndak", "tak"],
    "sudah": ["sdh", "udh", "udah", "dah"],
    "belum": ["blm", "blom"],
    "yang": ["yg"],
    "dari": ["dr"],
    "dengan": ["dgn"],
    "untuk": ["utk", "buat"],
    "sekali": ["bgt", "banget", "kali"],
    "tolong": ["tlg"],
    "rumah": ["rmh"],
    "sama": ["sm"],
    "terima": ["trm"],
    "kasih": ["ksh"],
    "sekarang": ["skrg"],
    "bagaimana": ["gmn", "gimana"],
    "juga": ["jg"],
    "karena": ["krn", "karna"],
}


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:  # dropped letter
        return word[:i] + word[i + 1 :]
    if kind == 1:  # doubled letter
        return word[:i] + word[i] + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]  # swapped neighbours


def _noise(text: str, rng: random.Random) -> str:
    words = []
    for word in text.split():
        low = word.lower()
        if low in ABBREVIATIONS and rng.random() < 0.5:
            word = rng.choice(ABBREVIATIONS[low])
        elif rng.random() < 0.06:
            word = _typo(word, rng)
        words.append(word)
    out = " ".join(words)
    if rng.random() < 0.4:
        out = out.lower()
    if rng.random() < 0.3:
        out = out.replace(",", "").replace(".", "")
    return out


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        water=rng.choice(WATER),
        street=rng.choice(STREETS),
        n=rng.randint(1, 30),
        m=rng.randint(1, 12),
        h=rng.randint(5, 22),
        rp=rng.choice([80, 120, 150, 300, 450, 900]),
        org=rng.choice(ORGS),
    )


def complaint(label: str, rng: random.Random) -> str:
    """One generated complaint of ``label``."""
    parts = [rng.choice(OPENINGS), _fill(rng.choice(CORE[label]), rng)]
    extras = []
    if rng.random() < 0.5:
        extras.append(_fill(rng.choice(PLACES), rng))
    if rng.random() < 0.5:
        extras.append(_fill(rng.choice(TIMES), rng))
    rng.shuffle(extras)
    parts.extend(extras)
    if rng.random() < 0.5:
        parts.append(", " + _fill(rng.choice(DETAILS[label]), rng))
    if rng.random() < 0.15:  # a second phrasing of the same problem
        parts.append(", " + _fill(rng.choice(CORE[label]), rng))
    closing = rng.choice(CLOSINGS)
    if closing:
        parts.append(", " + closing)
    text = " ".join(p for p in parts if p).replace(" , ", ", ")
    return _noise(text, rng)


def generate(*, seed: int = 17, per_label: int = 250) -> list[tuple[str, str]]:
    """``per_label`` complaints of every label as (text, label), the same for the same seed."""
    rng = random.Random(seed)
    rows = [(complaint(label, rng), label) for label in LABELS for _ in range(per_label)]
    rng.shuffle(rows)
    return rows

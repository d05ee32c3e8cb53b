"""Realistic, deterministic Indonesian customer data for the demo and the benchmark.

Everything is drawn from one seeded ``random.Random``: the same seed gives the same customers,
row for row. The people look like a North Sumatra bank's book: Batak (Toba, Karo, Mandailing/
Angkola, Simalungun), Malay/Deli, Javanese, Minang, Acehnese, Sundanese, Chinese-Indonesian,
Nias and Balinese names, written the way they appear on real KTPs and account openings — with
"H."/"Hj." after the hajj, academic degrees after a comma, "Mhd."/"Muh." for Muhammad, "br."
(boru) for Batak women. Names are consistent with gender and, loosely, with religion and age.

Identity data is valid by construction: the NIK encodes the birth date (day + 40 for women) and
a Kemendagri region code (mostly province 12, North Sumatra) and is unique within one generator;
phone numbers use real operator prefixes and pass ``validation.normalize_phone``; CIF and account
numbers are unique.

``customer_rows`` yields plain dicts (no ORM, no Django needed), fast enough for a million rows;
``demo_customers`` returns ``CustomerInput``-shaped dicts for the demo loader.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Any


def _words(text: str) -> list[str]:
    """A list of names from a block of text (one name per word), in order, with repeats."""
    return text.split()


# --------------------------------------------------------------------------- given names

ISLAMIC_MALE = _words(
    """
Muhammad Ahmad Abdul Fadli Rizky Fauzi Hasan Husein Ibrahim Ismail Yusuf Zulkifli Syahrul Hendra
Irfan Arif Amir Hamzah Iskandar Khairul Ridwan Rahmat Nurdin Syaiful Taufik Hidayat Rahman Aziz
Imam Fikri Faisal Hafiz Ilham Luthfi Habibi Azhar Anwar Zainal Mahmud Sulaiman Jamal Darwis
Ikhsan Umar Ali Usman Ramadhan Rizal Firman Akbar Fahmi Fauzan Reza Rafi Alfian Yahya Zakaria
Syahril Nasrul Khairuddin Fachrul Azwar Mukhlis Syamsul Bahrum Fadhil Arifin Saiful Amri
Burhanuddin Chairul Dahlan Erwin Fahri Gazali Hakim Idris Jafar Kamaruddin Lukman Mansur
Nazaruddin Rusli Sofyan Tarmizi Wahid Yunus Zulfikar Asrul Hanafi Muslim Syukri Ruslan Adnan
Bukhari Hasbi Ilyas Jamaluddin Marzuki Nasir Raja Safaruddin Thamrin Zulham Rasyid
"""
)

ISLAMIC_FEMALE = _words(
    """
Siti Nur Nurul Fatimah Aisyah Khadijah Zainab Maryam Rahmah Nurhayati Nurlela Halimah Aminah
Salmah Rahmawati Hafizah Nadia Putri Dewi Fitri Fitriani Rina Yanti Desi Ayu Indah Rizka Nabila
Annisa Azizah Zahra Salsabila Ratna Sari Wulan Dian Syarifah Khairunnisa Rafika Hidayah Jannah
Nuraini Nurhasanah Farida Hasnah Mardiah Rosmiati Zubaidah Juliani Rosita Yusnidar Asmah
Ernawati Lailan Misrah Nurmala Rahma Sakinah Syafrida Wardah Yuliana Zuraida Fauziah Laila
Maisarah Nurjannah Ramadhani Sufiah Umi Wirda Zulaikha Mutiara Cut Intan Nurbaiti Sarifah Hafsah
Raudah Ummu Nurmaya Rosnah Habibah Marlina Masitah Nurainun Rohani Safitri Zulfa
"""
)

# "Abdul" (servant of) is always followed by one of the names of God.
ABDUL_SECOND = _words(
    "Rahman Aziz Halim Hakim Karim Malik Rasyid Gani Wahab Latif Majid Muis Jalil Haris"
)

CHRISTIAN_MALE = _words(
    """
Yohanes Paulus Petrus Markus Lukas Matius Andreas Stefanus Yosua Daniel David Samuel Timotius
Filipus Jonathan Michael Immanuel Fransiskus Antonius Agustinus Robert Richard Hendrik Johannes
Martin Albert Bernard Christian Kristian Yakub Elia Natanael Gabriel Rudolf Benyamin Simon Tomas
Yosef Adrianus Bonifasius Dionisius Ferdinand Gerhard Herman Ignatius Julius Kornelius Leonardus
Marthin Nikolas Oktavianus Patar Rikardo Sylvester Viktor Wilhelmus Yeremia Efraim Hiskia
Rinaldi Roy Jhon Frans Jansen Ronald Edward Henry Jefri Sahat Benny Edison Fernando
"""
)

CHRISTIAN_FEMALE = _words(
    """
Maria Debora Ester Ruth Rebekka Sarah Marta Lydia Magdalena Elisabeth Kristina Yohana Theresia
Veronika Agnes Monika Hana Naomi Priskila Christina Grace Yosephine Regina Margaretha Rosalina
Cornelia Novita Meliana Agustina Bernadetta Carolina Dorkas Evelina Febriana Helena Imelda
Juliana Katarina Lusiana Martha Natalia Oktaviani Paulina Rosa Selvia Tabita Ursula Valentina
Wilhelmina Yuliana Anastasia Betty Clara Dina Elfrida Feronika Gloria Irene Jelita Kartini Lenny
Melva Nelly Rotua Sondang Tetty Vera Yessy Rita Friska Elvi Santi Herlina Erika
"""
)

BATAK_MALE = _words(
    """
Hotman Parulian Sahat Togar Lamhot Marulak Binsar Tigor Poltak Halomoan Parlindungan Hasudungan
Maruli Bonar Gomgom Ramot Saut Tumpal Pardamean Horas Hotler Jonggi Mangasi Martua Sahala Togu
Tua Bungaran Hotbonar Managam Marihot Marolop Monang Pangihutan Pantun Rajab Sabar Sintong Tagor
Tombang Tongam Ulung Hasiholan Manahan Pahala Parasian Sarmedi
"""
)

BATAK_FEMALE = _words(
    """
Tiurma Rosmawati Lasma Romauli Dame Rumondang Sondang Tiominar Rosdiana Tiarma Nurmaida Masniari
Rospita Hotmaida Lamria Roslina Resmina Rotua Dormauli Hotnida Ruminta Rosmeri Sarma Tiurlan
Duma Hotmauli Lumongga Manaor Marlina Nurcahaya Pintauli Rasmi Risma Riama Sihol Taruli Tionggor
Uli Rohana Nurhaida Hotdiana Mauli
"""
)

KARO_MALE = _words(
    """
Malem Terkelin Sentosa Ersada Pirman Jusup Rasmin Tangkas Ngarap Tekang Sampe Jaya Bahagia
Nalsal Pagit Rehulina Runggu Sadarta Seneng Tembah Ukur Usaha Pulung Erwin Lahmuddin
"""
)

KARO_FEMALE = _words(
    """
Mehuli Rasmi Ngena Sinur Tiolina Serita Malemna Rehulina Ngelasi Nande Pebrina Riahna Seh
Tertiana Mulia Sempurna Beru Ukurta Nirmala Lestina
"""
)

NIAS_MALE = _words(
    """
Faolo Yamoniha Fatolosa Sozanolo Fatizaro Aroziduhu Sokhiatulo Famatanaha Faozisokhi Yupiter Ama
Oktoberlin Bazisokhi Fonaha Hilarius Ingati Otanius Sabarudin Tema Yuliman
"""
)

NIAS_FEMALE = _words(
    """
Fatiani Sriwati Yuliani Feriana Meliati Fitrianus Hikmawati Nurhaida Risnawati Serlina Yasmin
Ester Darmawati Eliati Faisiami Kristiani Lafati Nursiami Tuhoni Yuniarti
"""
)

MODERN_MALE = _words(
    """
Dimas Bayu Andi Aditya Fajar Kevin Bagus Yoga Rian Ari Rio Yogi Deni Doni Edi Irwan Jefri Rudi
Sandi Tommy Wahyu Yudi Rangga Raka Galih Gilang Aldi Alvin Bima Dani Eka Gio Hadi Ivan Juanda
Kiki Lutfi Miko Nando Oki Pandu Rendi Septian Teguh Vicky Wawan Yuda Zaki Agung
"""
)

MODERN_FEMALE = _words(
    """
Sinta Vina Wina Yuni Yuli Tina Lina Mega Melati Nia Novi Okta Puspita Ratih Rika Sela Tari Winda
Yessi Dinda Anggi Rani Citra Intan Cahya Nanda Bella Cindy Devi Eka Febi Gita Hani Ika Julia
Kiki Lestari Mira Nisa Olivia Prita Riri Sasa Tasya Ulfa Vania Widya Yola Zahra Amelia
"""
)

# Javanese: many people carry one name, or two; single names are built the way they are formed
# in real life ("Su-" + root: Sutrisno, Sunarti; head + "-iman"/"-inem": Paiman, Ngatinem).
JAVA_SU_ROOTS_MALE = _words(
    """
parman trisno giono karno priadi marno yanto wardi harto raji tomo kardi bagio narto jono wanto
rono adi hadi prapto roso tarjo jito rip daryono hartono tejo ranto giman bowo pardi kirman
misno nardi rakim timan sito wiyono yono laiman keri
"""
)
JAVA_SU_ROOTS_FEMALE = _words(
    """
narti warni miati tini parmi rani yati santi lastri nah rip martini yem lasmi wati ningsih tinah
jem sanah rini mini
"""
)
JAVA_HEADS = _words(
    """
Pa Ngat Tuk Wak Kas Sar Jum Sut Pon Kar Mar Sal
"""
)
JAVA_HEAD_ENDS_MALE = ["iman", "ijo", "ino", "irin", "imin", "iyo", "ikun", "iran"]
JAVA_HEAD_ENDS_FEMALE = ["inem", "ini", "iyem", "inah", "iyah", "irah", "iyati"]
JAVA_FIRST_MALE = _words(
    """
Agus Budi Joko Bambang Heru Hadi Wahyu Setyo Eko Dwi Tri Catur Slamet Sigit Teguh Bayu Anto Puji
Nur Imam Rudi Hari Gatot Dedi Yudi Andri Arif Edi Tono Wawan Hendro Bagus Adi Bowo Priyo Rahmat
Gunawan Gito Tomi Yoyok Danang Anang Purwanto Sapto Warsito Triyono Darmaji
"""
)
JAVA_FIRST_FEMALE = _words(
    """
Sri Dwi Tri Endang Ratna Tutik Wahyu Puji Rini Wulan Ani Eni Nunik Yuli Rahayu Siti Sulis Retno
Dewi Ayu Kurnia Lilis Setyo Purwanti Suci Nining Titik Umi Yayuk Indah Lestari Murni
"""
)
JAVA_LAST_MALE = _words(
    """
Santoso Prasetyo Susanto Wibowo Purnomo Hartono Suryanto Kurniawan Setiawan Nugroho Saputro
Wicaksono Widodo Sulistyo Hidayat Pratama Raharjo Utomo Riyadi Haryanto Suharto Sutrisno
Sugiarto Priyanto Mulyono Darmawan Budiman Yulianto Cahyono Wijanarko Harjono Supriyadi Setiadi
Subagyo Irawan Kusuma Permadi Sasongko Anggoro Basuki Hermawan
"""
)
JAVA_LAST_FEMALE = _words(
    """
Rahayu Lestari Wahyuni Handayani Susilowati Rahmawati Utami Astuti Ningsih Sulistyowati
Puspitasari Wulandari Kurniasih Suryani Purwaningsih Maryani Pratiwi Setyaningsih Widyastuti
Andriani Hartati Ekowati Sumarni Yuliati Kusumawati Nurhayati Mulyani Indriani
"""
)

SUNDA_MALE = _words(
    """
Asep Ujang Cecep Dadang Yayan Deden Dede Entis Ade Nanang Ayi Endang Iwan Jajang Kokom Mamat
Oman Rahmat Ucup Wawan Yusuf Agus Dodi Ajat Engkus Iyus
"""
)
SUNDA_FEMALE = _words(
    """
Iis Euis Neneng Enung Lilis Nining Yeni Eti Imas Nenden Cucu Enok Ika Ai Rina Tati Popon Yati
Nani Dewi Siti Titin Ocoh Nurjanah
"""
)
SUNDA_LAST_MALE = _words(
    """
Sukmana Permana Suherman Kusnadi Hidayat Rustandi Saepudin Sopandi Ruhiyat Gunawan Sunarya
Supriatna Rukmana Setiawan Firmansyah Ramdani Suhendar Mulyana Sudrajat Kurniawan
"""
)
SUNDA_LAST_FEMALE = _words(
    """
Nurjanah Rosita Kurniasih Komalasari Rohaeti Nurhasanah Sumiati Suryani Herawati Rahayu Maryani
Sukaesih Hasanah Marlina Fitriani Mulyani
"""
)

MINANG_MALE = _words(
    """
Afrizal Yusrizal Syafrizal Zulkarnain Asrul Jasman Zainal Edison Yondri Hendri Nofrizal
Darmansyah Syahrial Firdaus Irwandi Jonni Rasyidin Masrul Mardanus Yuherman Zulhendri Defrizal
Erizal Herman Indra Nasrul Refdi Syafri Wendi Yasril
"""
)
MINANG_FEMALE = _words(
    """
Yusnidar Darmawati Yulia Nurhayati Erniwati Desmawati Yenni Rosmaini Mardiana Nofita Syafrida
Yusnimar Elvi Fitriyeni Gusmawati Hartini Irmawati Jusmaniar Nelfi Rahmi Reni Siska Vivi
Wirdawati Yulidar Zurniati
"""
)
MINANG_SUKU = [
    "Chaniago",
    "Piliang",
    "Koto",
    "Tanjung",
    "Sikumbang",
    "Jambak",
    "Caniago",
    "Sikumbang",
    "Guci",
]

ACEH_PATRONYMS = _words(
    """
Daud Ibrahim Abdullah Ismail Yusuf Hasan Mahmud Ali Usman Umar Idris Hanafiah Puteh Sulaiman
"""
)

MALAY_ROYAL_MALE = ["Tengku", "T.", "Wan", "O.K.", "Datuk"]
MALAY_ROYAL_FEMALE = ["Tengku", "T.", "Wan", "Syarifah", "Puteri"]
MALAY_LAST_MALE = _words(
    """
Syahputra Syahputra Syahputra Saputra Syahrial Syahdan Alamsyah Firmansyah Kurniawan Hidayat
Rahmadsyah Azhari Hamdani
"""
)
MALAY_LAST_FEMALE = _words(
    """
Syahfitri Syahfitri Syahputri Saputri Fitriani Lestari Handayani Wahyuni Ramadhani Rahmadani
Aulia Hasanah
"""
)

CHINESE_SURNAMES_HOKKIEN = _words(
    """
Tan Lim Ng Lie Oei Ong Go Tjong Kho Liem The Gouw Tjia Wong Lauw Sie Kang Teh Yap Chua Khoo Lee
Goh Chong Tjan Phang Lo Tio Bong Hiu Ang Siaw Yo Tjoa
"""
)
CHINESE_SYLLABLE_MALE = _words(
    """
Ah Kim Hock Seng Cheng Hong Kiat Liong Tjoan Bun Eng Tek Beng Guan Hoat Kiong Hian Peng Tjin
Siong Kwet Swie Tong Hin Lok Ming Wie Djie Sun Po Kok
"""
)
CHINESE_SYLLABLE_FEMALE = _words(
    """
Ah Mei Lan Giok Lian Hwa Ling Bee Hui Siu Kim Swie Eng Nio Tjoe Ing Hiang Djie Yen Lie Sian Wan
Siok Tjien Kiauw
"""
)
CHINESE_LASTNAMES_INDONESIAN = _words(
    """
Wijaya Halim Gunawan Susanto Tanoto Salim Hartono Kusuma Tanjaya Lukito Santoso Setiawan Wongso
Hendrawan Sugianto Tanuwijaya Kurniawan Tjandra Widjaja Sutanto Tandiono Limanto Winata Gozali
Tanujaya Chandra Budiman Effendi Sanjaya Hakim Lianto Suryadi Tanzil Kosasih Tjahyadi
Darmadi Hadinata Wirawan Lesmana Wiguna Yoesoef Pranata Hidayat Sutedja
"""
)
CHINESE_GIVEN_MALE = _words(
    """
Kevin Michael Steven William Felix Hendry Ricky Jimmy Sandy Erwin Johan Hendrik Vincent Darwin
Andy Tony Willy Eddy Hengky Aling Suhendra Rudy Budi Jonny Susanto Alex Hans Eric Ferry Jacky
Wilson Ronny Benny Dicky Frengky Hartanto Sugiharto Irwan Sunardi
"""
)
CHINESE_GIVEN_FEMALE = _words(
    """
Jessica Vivian Stephanie Cindy Linda Lili Yenny Susanti Melinda Angelina Wendy Irene Meiliana
Sherly Jenny Lisa Fenny Merry Ling Sally Yanti Mariana Herlina Lina Shirley Tina Yuliana Vivi
Natalia Elisa Winny Dewi Meilisa Ivana Cynthia Fransiska Kristin
"""
)

BALI_PREFIX_MALE = [
    "I Made",
    "I Wayan",
    "I Nyoman",
    "I Ketut",
    "I Putu",
    "I Gede",
    "I Komang",
    "I Kadek",
    "Ida Bagus",
    "I Gusti Ngurah",
    "Anak Agung",
    "Dewa Gede",
    "Cokorda",
]
BALI_PREFIX_FEMALE = [
    "Ni Luh",
    "Ni Made",
    "Ni Wayan",
    "Ni Putu",
    "Ni Kadek",
    "Ni Komang",
    "Ni Ketut",
    "Ni Nyoman",
    "Ida Ayu",
    "I Gusti Ayu",
    "Anak Agung Istri",
    "Desak",
]
BALI_GIVEN_MALE = _words(
    """
Sudarsana Suarta Adnyana Wirawan Arta Sukadana Ariasa Budiarta Darmawan Suastika Mahendra Sutama
Wiranata Astawa Suardana Parwata Widiana Sudiarta Merta Yasa Sumerta Antara Kariasa
"""
)
BALI_GIVEN_FEMALE = _words(
    """
Sri Astuti Ayu Lestari Sukasih Ariani Suartini Widiastuti Mariani Puspawati Sumiarsih Candra
Dewi Kartika Indrawati Rusmini Sukerti Wahyuni Yuliantari Sudiani Mirah Suwitri
"""
)

# --------------------------------------------------------------------------- family names (marga)

MARGA_TOBA = _words(
    """
Simanjuntak Sitorus Sinaga Tambunan Pardede Hutapea Situmorang Manurung Panjaitan Simatupang
Siahaan Napitupulu Hutagalung Hutabarat Sihombing Silalahi Simbolon Sitompul Pasaribu Marpaung
Nainggolan Pakpahan Sianturi Hutauruk Lumbantobing Aritonang Manullang Sibarani Sihotang
Sitohang Butarbutar Lumbangaol Tampubolon Gultom Sirait Simorangkir Siagian Hasugian Sinambela
Sinurat Nababan Sijabat Harianja Sitanggang Rajagukguk Hutasoit Samosir Siburian Simamora Munthe
Turnip Simbolon Siringoringo Sitinjak Sigalingging Manik Purba Tobing Hutajulu Hutasuhut
Sinaga Sipahutar Pangaribuan Nadeak Sidabutar Situmeang Sirait Matondang Malau Pohan Sibuea
Sianipar Siregar Sinurat Silitonga Panggabean Doloksaribu
"""
)
MARGA_MANDAILING = _words(
    """
Nasution Lubis Harahap Siregar Hasibuan Daulay Pulungan Rangkuti Batubara Pohan Matondang
Parinduri Dalimunthe Rambe Ritonga Tanjung Hutasuhut Pane Nasution Lubis Harahap Siregar Pardede
Siagian Dongoran Lubis Hasibuan Rangkuti Harahap Simbolon Tambunan
"""
)
MARGA_KARO = _words(
    """
Ginting Sembiring Tarigan Perangin-angin Karo-karo Sitepu Barus Bangun Sinulingga Surbakti
Keliat Milala Brahmana Pelawi Sinuhaji Kaban Purba Tambun Depari Meliala Pandia Colia Sebayang
Munthe Gurusinga Kacaribu Sinuraya Pinem Kembaren Sinukaban Tarigan Ginting
"""
)
MARGA_SIMALUNGUN = _words(
    """
Purba Saragih Damanik Sinaga Girsang Sipayung Sumbayak Garingging Tambak Purba Saragih Damanik
Sidadolog Dasuha Haloho Purba Tambunsaribu Munthe Sitopu
"""
)
MARGA_PAKPAK = _words(
    """
Berutu Padang Solin Tumangger Bancin Boangmanalu Cibro Manik Angkat Kudadiri Sinamo Capah
"""
)
MARGA_NIAS = _words(
    """
Zebua Gea Harefa Telaumbanua Zalukhu Laoli Hulu Halawa Lase Ndruru Waruwu Mendrofa Daeli Larosa
Zai Gulo Bu'ulolo Hia Baeha Lombu Duha Giawa Sarumaha Nazara Zega Wau Dachi Hura Bate'e Harita
Amazihono Lahagu Zendrato Dakhi Fau Ziliwu
"""
)

# --------------------------------------------------------------------------- how names are written

DEGREES_BACHELOR = _words(
    """
S.E. S.H. S.Pd. S.Kom. S.T. S.Sos. S.Ag. S.Ked. S.Si. S.Kep. Amd. S.IP. S.P. S.Ak.
"""
)
DEGREES_BACHELOR_WEIGHTS = [22, 14, 18, 8, 10, 7, 5, 2, 4, 3, 9, 3, 2, 3]
DEGREES_MASTER = ["M.M.", "M.Si.", "M.H.", "M.Pd.", "M.Kom.", "M.Kes.", "M.T.", "M.Ak."]

# Ways "Muhammad" is written on real cards in Medan; all normalize to "muhammad".
MUHAMMAD_FORMS = [
    "Muhammad",
    "Mhd.",
    "M.",
    "Muh.",
    "Moh.",
    "Mohammad",
    "Muhamad",
    "Mochammad",
    "Muhammad",
]
MUHAMMAD_WEIGHTS = [50, 13, 12, 7, 4, 4, 4, 2, 4]

# --------------------------------------------------------------------------- groups

# (key, weight in a North Sumatra bank's book)
GROUPS = [
    ("toba", 18),
    ("mandailing", 11),
    ("karo", 7),
    ("simalungun", 4),
    ("pakpak", 1),
    ("malay", 10),
    ("java", 20),
    ("minang", 5),
    ("aceh", 3),
    ("sunda", 2),
    ("chinese", 9),
    ("nias", 4),
    ("bali", 1),
    ("modern", 5),  # younger, ethnically unmarked names ("Dimas Pratama", "Putri Amelia")
]
_GROUP_KEYS = [g for g, _w in GROUPS]
_GROUP_CUM = []
_acc = 0
for _g, _w in GROUPS:
    _acc += _w
    _GROUP_CUM.append(_acc)
MUSLIM_GROUPS = frozenset({"mandailing", "malay", "java", "minang", "aceh", "sunda"})

# --------------------------------------------------------------------------- NIK regions

# Kemendagri codes of North Sumatra (province 12): regency/city -> (weight, number of kecamatan).
NORTH_SUMATRA_REGIONS = {
    "1271": ("Kota Medan", 34, 21),
    "1207": ("Deli Serdang", 12, 22),
    "1205": ("Langkat", 5, 23),
    "1272": ("Kota Pematangsiantar", 4, 8),
    "1208": ("Simalungun", 4, 32),
    "1209": ("Asahan", 4, 25),
    "1275": ("Kota Binjai", 3, 5),
    "1218": ("Serdang Bedagai", 3, 17),
    "1210": ("Labuhanbatu", 3, 9),
    "1206": ("Karo", 3, 17),
    "1202": ("Tapanuli Utara", 2, 15),
    "1213": ("Mandailing Natal", 2, 23),
    "1277": ("Kota Padangsidimpuan", 2, 6),
    "1276": ("Kota Tebing Tinggi", 2, 5),
    "1274": ("Kota Tanjungbalai", 1, 6),
    "1273": ("Kota Sibolga", 1, 4),
    "1219": ("Batu Bara", 2, 12),
    "1201": ("Tapanuli Tengah", 1, 20),
    "1203": ("Tapanuli Selatan", 1, 15),
    "1212": ("Toba", 1, 16),
    "1211": ("Dairi", 1, 15),
    "1216": ("Humbang Hasundutan", 1, 10),
    "1217": ("Samosir", 1, 9),
    "1204": ("Nias", 1, 10),
    "1214": ("Nias Selatan", 1, 35),
    "1278": ("Kota Gunungsitoli", 1, 6),
    "1223": ("Labuhanbatu Utara", 1, 8),
    "1222": ("Labuhanbatu Selatan", 1, 5),
    "1220": ("Padang Lawas Utara", 1, 12),
    "1221": ("Padang Lawas", 1, 12),
    "1215": ("Pakpak Bharat", 1, 8),
}
# Where a group's people tend to be registered, when not in Medan or Deli Serdang.
GROUP_HOME_REGIONS = {
    "toba": ["1202", "1212", "1216", "1217", "1272"],
    "mandailing": ["1213", "1203", "1277", "1220", "1221"],
    "karo": ["1206", "1275"],
    "simalungun": ["1208", "1272"],
    "pakpak": ["1211", "1215"],
    "malay": ["1205", "1218", "1219", "1209", "1274"],
    "java": ["1207", "1205", "1218", "1210", "1209"],
    "nias": ["1204", "1214", "1278"],
    "chinese": ["1271", "1272", "1274"],
}
# People who moved in keep the NIK of their home province (Aceh 11, West Sumatra 13, ...).
MIGRANT_PROVINCE = {
    "aceh": ("11", ["1171", "1106", "1173", "1111"]),
    "minang": ("13", ["1371", "1306", "1375", "1305"]),
    "sunda": ("32", ["3273", "3204", "3201"]),
    "bali": ("51", ["5171", "5103", "5108"]),
    "java": ("33", ["3372", "3374", "3306"]),
}

_REGION_CODES = list(NORTH_SUMATRA_REGIONS)
_REGION_CUM = []
_acc = 0
for _code in _REGION_CODES:
    _acc += NORTH_SUMATRA_REGIONS[_code][1]
    _REGION_CUM.append(_acc)

# Branch towns for generated branches (the bench needs a hundred).
BRANCH_TOWNS = [
    ("MDN", "Medan", "1271"),
    ("BNJ", "Binjai", "1275"),
    ("PMS", "Pematangsiantar", "1272"),
    ("TBT", "Tebing Tinggi", "1276"),
    ("KIS", "Kisaran", "1209"),
    ("RAP", "Rantauprapat", "1210"),
    ("LBP", "Lubuk Pakam", "1207"),
    ("STB", "Stabat", "1205"),
    ("KBJ", "Kabanjahe", "1206"),
    ("SDK", "Sidikalang", "1211"),
    ("TRT", "Tarutung", "1202"),
    ("BLG", "Balige", "1212"),
    ("PSP", "Padangsidimpuan", "1277"),
    ("PNY", "Panyabungan", "1213"),
    ("SBG", "Sibolga", "1273"),
    ("GST", "Gunungsitoli", "1278"),
    ("TJB", "Tanjungbalai", "1274"),
    ("SRB", "Sei Rampah", "1218"),
    ("LMP", "Lima Puluh", "1219"),
    ("DLS", "Doloksanggul", "1216"),
    ("PRP", "Pangururan", "1217"),
    ("SPR", "Sipirok", "1203"),
    ("GTG", "Gunung Tua", "1220"),
    ("SBH", "Sibuhuan", "1221"),
    ("AKK", "Aek Kanopan", "1223"),
    ("KTP", "Kota Pinang", "1222"),
    ("SLK", "Salak", "1215"),
    ("TLS", "Teluk Dalam", "1214"),
    ("PDS", "Pandan", "1201"),
    ("PRB", "Pematang Raya", "1208"),
]
MEDAN_OFFICES = [
    "Imam Bonjol",
    "Sukaramai",
    "Petisah",
    "Aksara",
    "Iskandar Muda",
    "Medan Baru",
    "Marelan",
    "Belawan",
    "Amplas",
    "Tembung",
    "Setia Budi",
    "Helvetia",
    "Polonia",
    "Katamso",
    "Asia",
    "Krakatau",
    "Gatot Subroto",
    "Sisingamangaraja",
    "Pancing",
    "Medan Johor",
    "Tuntungan",
    "Simpang Limun",
    "Pulo Brayan",
    "Kampung Lalang",
    "Ringroad",
    "Thamrin",
    "Pringgan",
    "Glugur",
    "Sunggal",
    "Padang Bulan",
]

SEGMENTS = ["MASS", "EMERGING", "PRIORITY", "SME", "PAYROLL"]
SEGMENT_WEIGHTS = [58, 15, 5, 9, 13]
EMAIL_DOMAINS = ["gmail.com"] * 8 + [
    "yahoo.com",
    "yahoo.co.id",
    "ymail.com",
    "outlook.com",
    "hotmail.com",
]
# Real operator prefixes (Telkomsel, Indosat, XL, Axis, Tri, Smartfren) with rough market share.
MOBILE_PREFIXES = (
    ["811", "812", "813", "821", "822", "823", "852", "853", "851"] * 4
    + ["814", "815", "816", "855", "856", "857", "858", "859"] * 2
    + ["817", "818", "819", "877", "878"] * 2
    + ["831", "832", "833", "838"]
    + ["895", "896", "897", "898", "899"] * 2
    + ["881", "882", "883", "884", "885", "886", "887", "888", "889"]
)

DEFAULT_SEED = 20260501


def _title_case(part: str) -> str:
    return part[:1].upper() + part[1:]


class NameGenerator:
    """Draws people: ``person()`` gives (full_name, gender, group, birth_date)."""

    def __init__(self, seed: int = DEFAULT_SEED, *, today: date | None = None):
        self.rng = random.Random(seed)
        self.today = today or date.today()

    # -- helpers
    def _group(self) -> str:
        r = self.rng.random() * _GROUP_CUM[-1]
        for key, cum in zip(_GROUP_KEYS, _GROUP_CUM, strict=True):
            if r < cum:
                return key
        return _GROUP_KEYS[-1]

    def _muhammad(self) -> str:
        return self.rng.choices(MUHAMMAD_FORMS, MUHAMMAD_WEIGHTS)[0]

    def _islamic_given(self, gender: str, *, parts: int) -> list[str]:
        rng = self.rng
        if gender == "M":
            # Muhammad leads a large share of Muslim men's names, written many ways.
            r = rng.random()
            first = "Muhammad" if r < 0.16 else "Ahmad" if r < 0.21 else rng.choice(ISLAMIC_MALE)
            if first == "Muhammad":
                first = self._muhammad()
            names = [first]
            if first == "Abdul":
                names[0] = "Abd." if rng.random() < 0.15 else "Abdul"
                names.append(rng.choice(ABDUL_SECOND))
                parts -= 1
        else:
            first = rng.choice(ISLAMIC_FEMALE)
            if first == "Siti" and rng.random() < 0.03:
                first = "St."
            names = [first]
        pool = ISLAMIC_MALE + MODERN_MALE if gender == "M" else ISLAMIC_FEMALE + MODERN_FEMALE
        if names[-1].endswith("."):
            parts = max(parts, len(names) + 1)  # "M." or "Abd." never stands alone
        while len(names) < parts:
            nxt = rng.choice(pool)
            if nxt not in names and nxt not in ("Muhammad", "Abdul", "Siti", "Cut"):
                names.append(nxt)
        return names

    def _christian_given(
        self, gender: str, local: list[str], *, parts: int, local_share: float
    ) -> list[str]:
        rng = self.rng
        pools = (
            (CHRISTIAN_MALE, MODERN_MALE) if gender == "M" else (CHRISTIAN_FEMALE, MODERN_FEMALE)
        )
        names: list[str] = []
        while len(names) < parts:
            r = rng.random()
            pool = local if r < local_share else pools[0] if r < 0.85 else pools[1]
            nxt = rng.choice(pool)
            if nxt not in names:
                names.append(nxt)
        return names

    def _given_count(self, one: float, two: float) -> int:
        r = self.rng.random()
        return 1 if r < one else 2 if r < one + two else 3

    # -- the groups
    def _batak(
        self,
        gender: str,
        group: str,
        marga_pool: list[str],
        local_m: list[str],
        local_f: list[str],
        muslim: float,
    ) -> list[str]:
        rng = self.rng
        parts = self._given_count(0.45, 0.50)
        if rng.random() < muslim:
            given = self._islamic_given(gender, parts=parts)
        else:
            local = local_m if gender == "M" else local_f
            given = self._christian_given(gender, local, parts=parts, local_share=0.45)
        marga = rng.choice(marga_pool)
        if (
            gender == "F"
            and group in ("toba", "karo", "simalungun", "pakpak")
            and rng.random() < 0.22
        ):
            return [
                *given,
                rng.choice(["br.", "br", "Br.", "boru", "Beru"])
                if group == "karo"
                else rng.choice(["br.", "br", "Br.", "boru"]),
                marga,
            ]
        return [*given, marga]

    def _malay(self, gender: str) -> list[str]:
        rng = self.rng
        names = []
        if rng.random() < 0.05:
            names.append(rng.choice(MALAY_ROYAL_MALE if gender == "M" else MALAY_ROYAL_FEMALE))
        names += self._islamic_given(gender, parts=self._given_count(0.25, 0.6))
        if rng.random() < 0.45:
            names.append(rng.choice(MALAY_LAST_MALE if gender == "M" else MALAY_LAST_FEMALE))
        return list(dict.fromkeys(names))

    def _java(self, gender: str) -> list[str]:
        rng = self.rng
        r = rng.random()
        if r < 0.22:  # a single name, "Sutrisno", "Painem"
            if rng.random() < 0.65:
                roots = JAVA_SU_ROOTS_MALE if gender == "M" else JAVA_SU_ROOTS_FEMALE
                return ["Su" + rng.choice(roots)]
            ends = JAVA_HEAD_ENDS_MALE if gender == "M" else JAVA_HEAD_ENDS_FEMALE
            return [rng.choice(JAVA_HEADS) + rng.choice(ends)]
        first = rng.choice(JAVA_FIRST_MALE if gender == "M" else JAVA_FIRST_FEMALE)
        last_pool = JAVA_LAST_MALE if gender == "M" else JAVA_LAST_FEMALE
        if r < 0.80:
            names = [first, rng.choice(last_pool)]
        else:
            middle = rng.choice(
                (JAVA_FIRST_MALE + MODERN_MALE)
                if gender == "M"
                else (JAVA_FIRST_FEMALE + MODERN_FEMALE)
            )
            names = [first, middle, rng.choice(last_pool)]
        if rng.random() < 0.18:  # many Javanese in Sumatra carry Islamic first names
            names[0] = self._islamic_given(gender, parts=1)[0]
        return list(dict.fromkeys(names))

    def _minang(self, gender: str) -> list[str]:
        rng = self.rng
        local = MINANG_MALE if gender == "M" else MINANG_FEMALE
        names = [rng.choice(local)] if rng.random() < 0.6 else self._islamic_given(gender, parts=1)
        if rng.random() < 0.7:
            names += (
                self._islamic_given(gender, parts=1) if rng.random() < 0.5 else [rng.choice(local)]
            )
        if rng.random() < 0.12:
            names.append(rng.choice(MINANG_SUKU))
        return list(dict.fromkeys(names))

    def _aceh(self, gender: str) -> list[str]:
        rng = self.rng
        names = []
        if gender == "M" and rng.random() < 0.12:
            names.append(rng.choice(["Teuku", "T.", "Tgk."]))
        if gender == "F" and rng.random() < 0.12:
            names.append("Cut")
        names += self._islamic_given(gender, parts=self._given_count(0.3, 0.55))
        if rng.random() < 0.3:
            names.append(rng.choice(ACEH_PATRONYMS))
        return list(dict.fromkeys(names))

    def _sunda(self, gender: str) -> list[str]:
        rng = self.rng
        first = rng.choice(SUNDA_MALE if gender == "M" else SUNDA_FEMALE)
        if rng.random() < 0.15 and len(first) >= 3:  # "Ai" alone is too short to search for
            return [first]
        return [first, rng.choice(SUNDA_LAST_MALE if gender == "M" else SUNDA_LAST_FEMALE)]

    def _chinese(self, gender: str, birth_year: int) -> list[str]:
        rng = self.rng
        # Older Medan Chinese often kept their Hokkien names ("Tan Kim Hock", "Lim Swie Lan").
        hokkien_share = 0.45 if birth_year < 1968 else 0.18
        if rng.random() < hokkien_share:
            syl = CHINESE_SYLLABLE_MALE if gender == "M" else CHINESE_SYLLABLE_FEMALE
            a, b = rng.choice(syl), rng.choice(syl)
            while b == a:
                b = rng.choice(syl)
            names = [
                rng.choice(CHINESE_SURNAMES_HOKKIEN),
                a,
                b.lower() if rng.random() < 0.05 else b,
            ]
            if rng.random() < 0.2:  # Western name first: "Kevin Tan Kim Hock"
                names.insert(
                    0, rng.choice(CHINESE_GIVEN_MALE if gender == "M" else CHINESE_GIVEN_FEMALE)
                )
            return names
        given = rng.choice(CHINESE_GIVEN_MALE if gender == "M" else CHINESE_GIVEN_FEMALE)
        r = rng.random()
        if r < 0.15:
            return [given, rng.choice(CHINESE_SURNAMES_HOKKIEN)]  # "Jessica Lim"
        if r < 0.25:
            other = rng.choice(CHINESE_GIVEN_MALE if gender == "M" else CHINESE_GIVEN_FEMALE)
            return list(dict.fromkeys([given, other, rng.choice(CHINESE_LASTNAMES_INDONESIAN)]))
        return [given, rng.choice(CHINESE_LASTNAMES_INDONESIAN)]

    def _nias(self, gender: str) -> list[str]:
        rng = self.rng
        local = NIAS_MALE if gender == "M" else NIAS_FEMALE
        given = self._christian_given(
            gender, local, parts=self._given_count(0.55, 0.4), local_share=0.4
        )
        return [*given, rng.choice(MARGA_NIAS)]

    def _bali(self, gender: str) -> list[str]:
        rng = self.rng
        prefix = rng.choice(BALI_PREFIX_MALE if gender == "M" else BALI_PREFIX_FEMALE)
        pool = BALI_GIVEN_MALE if gender == "M" else BALI_GIVEN_FEMALE
        names = [prefix, rng.choice(pool)]
        if rng.random() < 0.5:
            extra = rng.choice(pool)
            if extra not in names:
                names.append(extra)
        return names

    def _modern(self, gender: str) -> list[str]:
        rng = self.rng
        first = rng.choice(MODERN_MALE if gender == "M" else MODERN_FEMALE)
        if rng.random() < 0.3:
            first = rng.choice(ISLAMIC_MALE if gender == "M" else ISLAMIC_FEMALE)
        last = rng.choice(
            (
                JAVA_LAST_MALE
                + MALAY_LAST_MALE
                + ["Pratama", "Ramadhan", "Saputra", "Maulana", "Firmansyah", "Hakim"]
            )
            if gender == "M"
            else (
                JAVA_LAST_FEMALE
                + MALAY_LAST_FEMALE
                + ["Amelia", "Anggraini", "Maharani", "Permata", "Aprilia"]
            )
        )
        names = [first, last]
        if rng.random() < 0.35:
            mid = rng.choice(MODERN_MALE if gender == "M" else MODERN_FEMALE)
            names.insert(1, mid)
        return list(dict.fromkeys(names))

    def _decorate(self, names: list[str], gender: str, group: str, birth: date) -> str:
        """Titles people actually carry: hajj, academic, degrees after a comma."""
        rng = self.rng
        age = (self.today - birth).days // 365
        pre = []
        muslim = group in MUSLIM_GROUPS or any(
            n in ("Muhammad", "Mhd.", "M.", "Muh.", "Siti", "Nur", "Ahmad", "Abdul") for n in names
        )
        if muslim and age >= 40 and rng.random() < 0.06 + 0.002 * (age - 40):
            pre.append("H." if gender == "M" else "Hj.")
        r = rng.random()
        if age >= 50 and r < 0.018:
            pre.append("Drs." if gender == "M" else "Dra.")
        elif age >= 30 and r < 0.026:
            pre.append("Ir.")
        elif age >= 32 and r < 0.031:
            pre.append("Dr.")
        full = " ".join(pre + names)
        if age >= 22 and rng.random() < 0.07:
            degrees = [rng.choices(DEGREES_BACHELOR, DEGREES_BACHELOR_WEIGHTS)[0]]
            if age >= 28 and rng.random() < 0.18:
                degrees.append(rng.choice(DEGREES_MASTER))
            full += ", " + ", ".join(degrees)
        return full

    def birth_date(self) -> date:
        """Ages 18-85, more people of working age than very old ones."""
        rng = self.rng
        age_days = int(rng.triangular(18 * 365.25 + 1, 85 * 365.25 - 1, 34 * 365.25))
        return self.today - timedelta(days=age_days)

    def person(self) -> tuple[str, str, str, date]:
        rng = self.rng
        gender = "M" if rng.random() < 0.5 else "F"
        group = self._group()
        birth = self.birth_date()
        if group == "toba":
            names = self._batak(gender, group, MARGA_TOBA, BATAK_MALE, BATAK_FEMALE, muslim=0.08)
        elif group == "mandailing":
            names = self._batak(
                gender, group, MARGA_MANDAILING, BATAK_MALE, BATAK_FEMALE, muslim=0.92
            )
        elif group == "karo":
            names = self._batak(gender, group, MARGA_KARO, KARO_MALE, KARO_FEMALE, muslim=0.25)
        elif group == "simalungun":
            names = self._batak(
                gender, group, MARGA_SIMALUNGUN, BATAK_MALE, BATAK_FEMALE, muslim=0.3
            )
        elif group == "pakpak":
            names = self._batak(gender, group, MARGA_PAKPAK, BATAK_MALE, BATAK_FEMALE, muslim=0.35)
        elif group == "malay":
            names = self._malay(gender)
        elif group == "java":
            names = self._java(gender)
        elif group == "minang":
            names = self._minang(gender)
        elif group == "aceh":
            names = self._aceh(gender)
        elif group == "sunda":
            names = self._sunda(gender)
        elif group == "chinese":
            names = self._chinese(gender, birth.year)
        elif group == "nias":
            names = self._nias(gender)
        elif group == "bali":
            names = self._bali(gender)
        else:
            names = self._modern(gender)
        return self._decorate(names, gender, group, birth), gender, group, birth

    def full_name(self) -> str:
        return self.person()[0]


class CustomerGenerator(NameGenerator):
    """People plus everything a bank record holds; ``row(i)`` is customer number ``i``."""

    def __init__(self, seed: int = DEFAULT_SEED, *, today: date | None = None):
        super().__init__(seed, today=today)
        self._niks: set[int] = set()
        self._account_seq = 0

    def region(self, group: str, branch_region: str | None) -> str:
        rng = self.rng
        r = rng.random()
        if group in MIGRANT_PROVINCE and r < 0.12:
            return rng.choice(MIGRANT_PROVINCE[group][1])
        if branch_region and r < 0.7:
            return branch_region
        if group in GROUP_HOME_REGIONS and r < 0.85:
            return rng.choice(GROUP_HOME_REGIONS[group])
        x = rng.random() * _REGION_CUM[-1]
        for code, cum in zip(_REGION_CODES, _REGION_CUM, strict=True):
            if x < cum:
                return code
        return _REGION_CODES[-1]

    def nik(self, region: str, birth: date, gender: str) -> str:
        """PPKKCC DDMMYY SSSS: region, kecamatan, birth date (day + 40 for women), sequence.

        The sequence is drawn low (as most kecamatan issue few per birth date) and bumped on
        a collision, so each NIK of one generator is unique.
        """
        kec_count = NORTH_SUMATRA_REGIONS.get(region, ("", 1, 20))[2]
        kec = self.rng.randint(1, kec_count)
        day = birth.day + (40 if gender == "F" else 0)
        head = int(f"{region}{kec:02d}{day:02d}{birth.month:02d}{birth.year % 100:02d}") * 10000
        seq = 1 + int(self.rng.expovariate(1 / 40)) % 9999
        while head + seq in self._niks:
            seq = seq % 9999 + 1
        self._niks.add(head + seq)
        return str(head + seq)

    def phone(self) -> str:
        rng = self.rng
        prefix = rng.choice(MOBILE_PREFIXES)
        r = rng.random()
        length = 8 if r < 0.72 else 7 if r < 0.87 else 9
        return "+62" + prefix + "".join(rng.choices(string.digits, k=length))

    def email(self, full_name: str, birth: date) -> str:
        rng = self.rng
        base = (
            full_name.split(",")[0]
            .replace(".", " ")
            .replace("'", "")
            .replace("-", " ")
            .lower()
            .split()
        )
        base = [
            w
            for w in base
            if w
            not in (
                "h",
                "hj",
                "dr",
                "ir",
                "drs",
                "dra",
                "br",
                "boru",
                "i",
                "ni",
                "mhd",
                "m",
                "muh",
                "moh",
            )
        ] or ["nasabah"]
        sep = rng.choice([".", "", "_"])
        local = sep.join(base[:2]) if rng.random() < 0.6 else base[0] + sep + base[-1]
        if rng.random() < 0.6:
            local += str(birth.year % 100 if rng.random() < 0.5 else rng.randint(1, 999))
        return f"{local}@{rng.choice(EMAIL_DOMAINS)}"

    def account_number(self, branch_no: int, product: str) -> str:
        """Branch (3) + product (2) + running number (7) + check digit: unique per generator."""
        self._account_seq += 1
        body = f"{branch_no % 1000:03d}{product}{self._account_seq:07d}"
        check = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body)) % 10
        return body + str(check)

    def row(
        self,
        i: int,
        branches: Sequence[Any],
        branch_regions: Sequence[str | None] | None = None,
        branch_weights: Sequence[float] | None = None,
    ) -> dict:
        rng = self.rng
        b_idx = (
            rng.choices(range(len(branches)), branch_weights)[0]
            if branch_weights
            else rng.randrange(len(branches))
        )
        full_name, gender, group, birth = self.person()
        age = (self.today - birth).days / 365.25
        region = self.region(group, branch_regions[b_idx] if branch_regions else None)

        segment = rng.choices(SEGMENTS, SEGMENT_WEIGHTS)[0]
        if segment == "PAYROLL" and age > 58:
            segment = "MASS"
        if segment == "PRIORITY" and age < 25:
            segment = "EMERGING"
        is_vip = (segment == "PRIORITY" and rng.random() < 0.3) or rng.random() < 0.005
        r = rng.random()
        status = "ACTIVE" if r < 0.86 else "DORMANT" if r < 0.97 else "CLOSED"
        open_ = status != "CLOSED"
        has_savings = open_ and rng.random() < 0.93
        mb_chance = 0.85 if age < 35 else 0.65 if age < 50 else 0.35 if age < 65 else 0.12
        has_mobile_banking = has_savings and status == "ACTIVE" and rng.random() < mb_chance
        loan_chance = {"PAYROLL": 0.55, "SME": 0.5, "PRIORITY": 0.2, "EMERGING": 0.25}.get(
            segment, 0.12
        )
        has_loan = open_ and 21 <= age <= 70 and rng.random() < loan_chance
        cc_chance = {"PRIORITY": 0.45, "EMERGING": 0.12, "PAYROLL": 0.08, "SME": 0.1}.get(
            segment, 0.02
        )
        has_credit_card = open_ and age >= 21 and rng.random() < cc_chance

        accounts = []
        if has_savings or not open_:
            accounts.append(self.account_number(b_idx + 1, "01"))
        if has_savings and segment in ("PRIORITY", "SME") and rng.random() < 0.4:
            accounts.append(self.account_number(b_idx + 1, "02"))  # giro / deposito
        if has_loan:
            accounts.append(self.account_number(b_idx + 1, "55"))

        return {
            "index": i,
            "id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "full_name": full_name,
            "gender": gender,
            "group": group,
            "birth_date": birth,
            "nik": self.nik(region, birth, gender),
            "phone": self.phone() if rng.random() < 0.94 else "",
            "email": self.email(full_name, birth)
            if rng.random() < (0.55 if age < 45 else 0.2)
            else "",
            # A bijection of i (7919 is prime to 9e9), so CIFs are unique and look unordered.
            "cif": str(1_000_000_000 + (i * 7919 + 123_457) % 9_000_000_000),
            "account_numbers": accounts,
            "segment_code": segment,
            "is_vip": is_vip,
            "status": status,
            "has_savings": has_savings,
            "has_mobile_banking": has_mobile_banking,
            "has_loan": has_loan,
            "has_credit_card": has_credit_card,
            "branch_index": b_idx,
            "branch": branches[b_idx],
        }


def customer_rows(
    n: int,
    branches: Sequence[Any],
    *,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    branch_regions: Sequence[str | None] | None = None,
    branch_weights: Sequence[float] | None = None,
) -> Iterator[dict]:
    """``n`` customer dicts (plain data, no ORM): the same seed gives the same rows.

    Each dict has id (a deterministic UUID), full_name, gender, group, birth_date, nik, phone
    (E.164 or ""), email, cif, account_numbers, segment_code, is_vip, status, the four product
    flags, and ``branch`` — one of ``branches`` (any objects: ids, codes, Branch rows).
    """
    gen = CustomerGenerator(seed, today=today)
    for i in range(n):
        yield gen.row(i, branches, branch_regions, branch_weights)


def branch_specs(n: int) -> list[tuple[str, str, str]]:
    """``n`` branches as (code, name, NIK region): Medan offices first, then the regions."""
    specs: list[tuple[str, str, str]] = []
    medan = max(1, n * 3 // 10)
    for k, office in enumerate(MEDAN_OFFICES[:medan]):
        specs.append((f"MDN{k + 1:02d}", f"KC Medan {office}", "1271"))
    k = 0
    while len(specs) < n:
        code, town, region = BRANCH_TOWNS[k % len(BRANCH_TOWNS)]
        if code == "MDN":
            k += 1
            continue
        number = k // len(BRANCH_TOWNS) + 1
        kind = "KC" if number == 1 else "KCP"
        specs.append(
            (f"{code}{number:02d}", f"{kind} {town}" + (f" {number}" if number > 1 else ""), region)
        )
        k += 1
    return specs[:n]


def demo_customers(n: int, branches: Sequence[Any], seed: int = DEFAULT_SEED) -> list[dict]:
    """``n`` dicts shaped like ``customers.services.CustomerInput`` (``home_branch`` is one of
    ``branches``), ready for ``customer_create(actor=..., data=CustomerInput(**d))``."""
    out = []
    for row in customer_rows(n, branches, seed=seed):
        out.append(
            {
                "full_name": row["full_name"],
                "home_branch": row["branch"],
                "birth_date": row["birth_date"],
                "gender": row["gender"],
                "phone": row["phone"],
                "email": row["email"],
                "segment_code": row["segment_code"],
                "is_vip": row["is_vip"],
                "status": row["status"],
                "products": {
                    f: row[f]
                    for f in ("has_savings", "has_mobile_banking", "has_loan", "has_credit_card")
                },
                "nik": row["nik"],
                "cif": row["cif"],
                "account_numbers": row["account_numbers"],
            }
        )
    return out


def name_variants(full_name: str, rng: random.Random) -> str:
    """How a user might type this person's name into the search box: partial, abbreviated,
    lower case, with or without titles (used by the benchmark's query mix)."""
    base = full_name.split(",")[0].split()
    base = [w for w in base if w not in ("H.", "Hj.", "Dr.", "Ir.", "Drs.", "Dra.")] or base
    r = rng.random()
    if r < 0.3:
        words = base
    elif r < 0.55 and len(base) >= 2:
        words = [base[0], base[-1]]  # first name + marga
    elif r < 0.7 and len(base) >= 2:
        words = base[-2:]
    elif r < 0.8:
        words = [
            ("Muh." if w in ("Muhammad", "Mhd.", "M.", "Moh.", "Mohammad", "Muhamad") else w)
            for w in base
        ]
        if words == base:
            words = base[:2]
    elif r < 0.9 and len(base[-1]) > 5:
        last = base[-1]
        k = rng.randrange(1, len(last) - 1)
        words = [*base[:-1], last[:k] + last[k + 1 :]]  # a typo: one letter dropped
    else:
        words = base
    text = " ".join(words)
    return text.lower() if rng.random() < 0.5 else text

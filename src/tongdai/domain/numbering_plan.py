"""The Vietnamese numbering plan as plain data (from shared/data/vn_mobile_network_codes.tsv).

Kept as Python literals so the domain reads no files; a test checks it against the TSV.
"""

CARRIERS = ("viettel", "vinaphone", "mobifone", "vietnamobile", "gmobile", "itelecom", "reddi")
# as the carriers write their own names
CARRIER_NAMES = {"viettel": "Viettel", "vinaphone": "Vinaphone", "mobifone": "MobiFone",
                 "vietnamobile": "Vietnamobile", "gmobile": "Gmobile", "itelecom": "iTel", "reddi": "Reddi"}

# Two digits after the trunk 0 (or after +84) -> carrier. A mobile number is code + 7 digits.
MOBILE_NETWORK_CODES: dict[str, str] = {
    "32": "viettel", "33": "viettel", "34": "viettel", "35": "viettel", "36": "viettel",
    "37": "viettel", "38": "viettel", "39": "viettel", "86": "viettel", "96": "viettel",
    "97": "viettel", "98": "viettel",
    "81": "vinaphone", "82": "vinaphone", "83": "vinaphone", "84": "vinaphone", "85": "vinaphone",
    "88": "vinaphone", "91": "vinaphone", "94": "vinaphone",
    "70": "mobifone", "76": "mobifone", "77": "mobifone", "78": "mobifone", "79": "mobifone",
    "89": "mobifone", "90": "mobifone", "93": "mobifone",
    "52": "vietnamobile", "56": "vietnamobile", "58": "vietnamobile", "92": "vietnamobile",
    "59": "gmobile", "99": "gmobile",
    "87": "itelecom",
    "55": "reddi",
}

# Pre-2018 11-digit mobile codes (after the trunk 0): dead since mid-2019.
DEAD_MOBILE_CODES = frozenset(
    [f"12{d}" for d in "0123456789"] + [f"16{d}" for d in "23456789"] + ["186", "188", "199"]
)

# Fixed-line area codes since 2017. Hanoi (24) and HCMC (28) take 8-digit subscriber numbers
# whose first digit is restricted; every 3-digit province code takes 7 digits.
BIG_CITY_AREA_CODES: dict[str, str] = {"24": "2345678", "28": "23456789"}
PROVINCE_AREA_CODES = frozenset(
    "203 204 205 206 207 208 209 210 211 212 213 214 215 216 218 219 220 221 222 225 226 227 "
    "228 229 232 233 234 235 236 237 238 239 251 252 254 255 256 257 258 259 260 261 262 263 "
    "269 270 271 272 273 274 275 276 277 290 291 292 293 294 296 297 299".split()
)

# Service numbers: no trunk 0; 4 or 6 digits follow the prefix.
SERVICE_PREFIXES: dict[str, str] = {"1800": "toll_free", "1900": "premium"}

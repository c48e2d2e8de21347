"""A hand-written table of dialled numbers: every mobile network code, fixed lines of several provinces,
1800/1900, foreign numbers and junk. Each row: input, e164 ('' when invalid), type, carrier."""

import pytest

from tongdai.domain.numbers import classify

TABLE = """
0321234567|+84321234567|mobile|viettel
033 123 4567|+84331234567|mobile|viettel
+84 34 123 4567|+84341234567|mobile|viettel
84351234567|+84351234567|mobile|viettel
0084 36 1234567|+84361234567|mobile|viettel
(037) 123-4567|+84371234567|mobile|viettel
038.123.4567|+84381234567|mobile|viettel
039-123-4567|+84391234567|mobile|viettel
0861234567|+84861234567|mobile|viettel
+84 96 123 45 67|+84961234567|mobile|viettel
0971234567|+84971234567|mobile|viettel
0981 234 567|+84981234567|mobile|viettel
(+84) 98 123 4567|+84981234567|mobile|viettel
0811234567|+84811234567|mobile|vinaphone
0821234567|+84821234567|mobile|vinaphone
0831234567|+84831234567|mobile|vinaphone
0841234567|+84841234567|mobile|vinaphone
+84 84 123 4567|+84841234567|mobile|vinaphone
84841234567|+84841234567|mobile|vinaphone
841234567|+84841234567|mobile|vinaphone
0851234567|+84851234567|mobile|vinaphone
0881234567|+84881234567|mobile|vinaphone
0912 345 678|+84912345678|mobile|vinaphone
+84 (0) 912 345 678|+84912345678|mobile|vinaphone
+840912345678|+84912345678|mobile|vinaphone
912345678|+84912345678|mobile|vinaphone
0941234567|+84941234567|mobile|vinaphone
0838251234|+84838251234|mobile|vinaphone
0701234567|+84701234567|mobile|mobifone
0761234567|+84761234567|mobile|mobifone
0771234567|+84771234567|mobile|mobifone
0781234567|+84781234567|mobile|mobifone
0791234567|+84791234567|mobile|mobifone
0891234567|+84891234567|mobile|mobifone
0901234567|+84901234567|mobile|mobifone
+84 93 123 4567|+84931234567|mobile|mobifone
0521234567|+84521234567|mobile|vietnamobile
0561234567|+84561234567|mobile|vietnamobile
0581234567|+84581234567|mobile|vietnamobile
0921234567|+84921234567|mobile|vietnamobile
0591234567|+84591234567|mobile|gmobile
0991234567|+84991234567|mobile|gmobile
0998123456|+84998123456|mobile|gmobile
0871234567|+84871234567|mobile|itelecom
+84 87 123 4567|+84871234567|mobile|itelecom
0551234567|+84551234567|mobile|reddi
84 55 123 4567|+84551234567|mobile|reddi
0912-345-678|+84912345678|mobile|vinaphone
0912.345.678|+84912345678|mobile|vinaphone
 0912 345 678 |+84912345678|mobile|vinaphone
0912  345  678|+84912345678|mobile|vinaphone
(091) 2345678|+84912345678|mobile|vinaphone
+84-91-234-5678|+84912345678|mobile|vinaphone
0084912345678|+84912345678|mobile|vinaphone
00840912345678|+84912345678|mobile|vinaphone
84912345678|+84912345678|mobile|vinaphone
981234567|+84981234567|mobile|viettel
901234567|+84901234567|mobile|mobifone
351234567|+84351234567|mobile|viettel
024 3825 1234|+842438251234|fixed|none
02438251234|+842438251234|fixed|none
+84 24 3825 1234|+842438251234|fixed|none
(024) 6282 1234|+842462821234|fixed|none
028 3822 1234|+842838221234|fixed|none
+84 28 3930 1234|+842839301234|fixed|none
842838221234|+842838221234|fixed|none
2838221234|+842838221234|fixed|none
0203 3825 123|+842033825123|fixed|none
0204 385 1234|+842043851234|fixed|none
0205 387 1234|+842053871234|fixed|none
0206 385 1234|+842063851234|fixed|none
0208 385 1234|+842083851234|fixed|none
0210 384 1234|+842103841234|fixed|none
0211 386 1234|+842113861234|fixed|none
0212 385 1234|+842123851234|fixed|none
0214 382 1234|+842143821234|fixed|none
0215 382 1234|+842153821234|fixed|none
0220 385 1234|+842203851234|fixed|none
0222 382 1234|+842223821234|fixed|none
0225 384 1234|+842253841234|fixed|none
0226 385 1234|+842263851234|fixed|none
0228 364 1234|+842283641234|fixed|none
0229 387 1234|+842293871234|fixed|none
0232 382 1234|+842323821234|fixed|none
0234 382 1234|+842343821234|fixed|none
0236 382 1234|+842363821234|fixed|none
0237 385 1234|+842373851234|fixed|none
0238 384 1234|+842383841234|fixed|none
0251 382 1234|+842513821234|fixed|none
0254 385 1234|+842543851234|fixed|none
0258 382 1234|+842583821234|fixed|none
0263 382 1234|+842633821234|fixed|none
0269 382 1234|+842693821234|fixed|none
0272 382 1234|+842723821234|fixed|none
0274 382 1234|+842743821234|fixed|none
0277 385 1234|+842773851234|fixed|none
0290 383 1234|+842903831234|fixed|none
0292 382 1234|+842923821234|fixed|none
0296 385 1234|+842963851234|fixed|none
0297 386 1234|+842973861234|fixed|none
0299 382 1234|+842993821234|fixed|none
+84 236 382 1234|+842363821234|fixed|none
1800 1234|+8418001234|toll_free|none
1800 123 456|+841800123456|toll_free|none
1800-1090|+8418001090|toll_free|none
+84 1800 1234|+8418001234|toll_free|none
841800123456|+841800123456|toll_free|none
1900 1234|+8419001234|premium|none
1900 123 456|+841900123456|premium|none
1900.6600|+8419006600|premium|none
+84 1900 123456|+841900123456|premium|none
+1 415 555 2671|+14155552671|foreign|none
+1 (212) 555-0100|+12125550100|foreign|none
0014155552671|+14155552671|foreign|none
+44 20 7946 0958|+442079460958|foreign|none
0044 20 7946 0958|+442079460958|foreign|none
+65 6123 4567|+6561234567|foreign|none
+86 138 0013 8000|+8613800138000|foreign|none
+81 3-1234-5678|+81312345678|foreign|none
+66 81 234 5678|+66812345678|foreign|none
+855 12 345 678|+85512345678|foreign|none
+61 2 9876 5432|+61298765432|foreign|none
+82 10-1234-5678|+821012345678|foreign|none
+33 1 23 45 67 89|+33123456789|foreign|none
+49 30 123456|+4930123456|foreign|none
+1 415 555|||invalid|none
+999 123 456 789|||invalid|none
+44 12|||invalid|none
01623456789|||invalid|none
0162 345 6789|||invalid|none
01213456789|||invalid|none
+84 162 345 6789|||invalid|none
01993456789|||invalid|none
01863456789|||invalid|none
01883456789|||invalid|none
0801234567|||invalid|none
0711234567|||invalid|none
0951234567|||invalid|none
0501234567|||invalid|none
0601234567|||invalid|none
0311234567|||invalid|none
04 3825 1234|||invalid|none
0412345678|||invalid|none
0217 382 1234|||invalid|none
0223 382 1234|||invalid|none
024 1825 1234|||invalid|none
024 3825 123|||invalid|none
0203 382 512|||invalid|none
01800 1234|||invalid|none
1800 12345|||invalid|none
1900 12|||invalid|none
091234567|||invalid|none
09123456789|||invalid|none
0912 345 678 ext 12|||invalid|none
0912345678x12|||invalid|none
Tel: 0912345678|||invalid|none
++84912345678|||invalid|none
+84+912345678|||invalid|none
0912+345678|||invalid|none
abc|||invalid|none
0912abc678|||invalid|none
|||invalid|none
   |||invalid|none
+|||invalid|none
84|||invalid|none
0|||invalid|none
113|||invalid|none
12345|||invalid|none
8491234567|||invalid|none
0912/345/678|||invalid|none
0912_345_678|||invalid|none
０９１２３４５６７８|||invalid|none
"""


def rows():
    for line in TABLE.strip("\n").split("\n"):
        parts = line.split("|")
        if len(parts) == 5:  # invalid rows carry an empty e164 written as "||"
            raw, _, _, kind, carrier = parts
            yield raw, "", kind, carrier
        else:
            raw, e164, kind, carrier = parts
            yield raw, e164, kind, carrier


ROWS = list(rows())


def test_the_table_is_big_enough_and_covers_every_network_code():
    from tongdai.domain.numbering_plan import MOBILE_NETWORK_CODES
    assert len(ROWS) >= 150
    seen_codes = {e164[3:5] for _, e164, kind, _ in ROWS if kind == "mobile"}
    assert set(MOBILE_NETWORK_CODES) <= seen_codes


@pytest.mark.parametrize("raw,e164,kind,carrier", ROWS, ids=[r[0] or "<empty>" for r in ROWS])
def test_classify(raw, e164, kind, carrier):
    info = classify(raw)
    assert (info.e164 or "", info.type, info.carrier or "none") == (e164, kind, carrier), info.reason
    if kind == "invalid":
        assert info.reason, "an invalid number always says why"

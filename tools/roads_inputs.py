"""Hand-entered tables of the road-graph build (``tools/build_roads.py``).

Nodes (towns, foreign towns, passes and junctions placed by km posts), the segments used for
the road/straight-line ratios, the edges with their length rules and notes, the published
totals checked against the built graph, and the splits of published segments. Every row names
its source or derivation; the methods M1–M6 are described in ``build_roads.py``.
"""

from __future__ import annotations

# ------------------------------------------------------------------ nodes
# (id, name, how) — how: ("town", towns.csv name or None, geonames name)
# fmt: off
TOWNS = [
    ('Bishkek', 'Bishkek', 'Bishkek'),
    ('Kara-Balta', 'Kara-Balta', 'Kara-Balta'),
    ('Toktogul', 'Toktogul', 'Toktogul'),
    ('Kara-Kul', 'Kara-Kul (Karakol, Jalal-Abad reg.)', 'Kara-Kul’'),
    ('Tash-Kumyr', 'Tash-Komur', 'Tash-Kumyr'),
    ('Bazar-Korgon', 'Bazar-Korgon', 'Bazar-Korgon'),
    ('Jalal-Abad', 'Jalal-Abad', 'Manas'),
    ('Uzgen', 'Uzgen', 'Uzgen'),
    ('Osh', 'Osh', 'Osh'),
    ('Talas', 'Talas', 'Talas'),
    ('Tokmok', 'Tokmok', 'Tokmok'),
    ('Kemin', 'Kemin (ex-Bystrovka)', 'Kemin'),
    ('Balykchy', 'Balykchy', 'Balykchy'),
    ('Kochkor', None, 'Kochkor'),
    ('Naryn', 'Naryn', 'Naryn'),
    ('Cholpon-Ata', 'Cholpon-Ata', 'Cholpon-Ata'),
    ('Karakol', 'Karakol', 'Karakol'),
    ('Kadji-Say', 'Kadji-Say', 'Kadzhi-Say'),
    ('Gulcha', None, 'Gul’cha'),
    ('Batken', 'Batken', 'Batken'),
    ('Isfana', 'Isfana (renamed Razzakov 2022)', 'Razzakov'),
    ('Kazarman', None, 'Kazarman'),
    ('Kara-Kulja', None, 'Kara-Kulja'),
    ('Chaek', None, 'Chayek'),
    ('Baetov', None, 'Baetovo'),
]
# fmt: on
# fmt: off
FOREIGN = [
    ('x_taraz', 'Taraz (Kazakhstan)', 'Taraz', 'KZ'),
]
# fmt: on

# passes/junctions placed by km posts (M2): id, name, passes.csv key or None, a, b, km_a, km_b, km
# fmt: off
KM_POSTS = [
    ('p_too_ashuu', 'Too-Ashuu pass (Kolbaev tunnel)', 'Too-Ashuu (Kolbaev tunnel', 's_kara_balta', 's_toktogul', 62, 280, 130),
    ('j_suusamyr', 'Suusamyr junction (EM-04)', None, 's_kara_balta', 's_toktogul', 62, 280, 160),
    ('j_talas', 'Talas junction (EM-04, Otmok road)', None, 's_kara_balta', 's_toktogul', 62, 280, 185),
    ('p_ala_bel', 'Ala-Bel pass', 'Ala-Bel', 's_kara_balta', 's_toktogul', 62, 280, 200),
    ('p_otmok', 'Otmok pass', 'Otmok', 'j_talas', 's_talas', 0, 106, 15),
    ('p_dolon', 'Dolon pass', 'Dolon', 's_kochkor', 's_naryn', 231, 350, 298),
    ('p_chyiyrchyk', 'Chyiyrchyk pass', 'Chyiyrchyk', 's_osh', 's_gulcha', 0, 80, 60),
    ('p_taldyk', 'Taldyk pass', 'Taldyk', 's_gulcha', 's_sary_tash', 80, 190, 160),
]
# fmt: on

# segments with published end points used for the road/straight-line ratios (M3, M5)
# fmt: off
MOUNTAIN_SEGMENTS = [
    ('s_kara_balta', 's_toktogul', 218),
    ('s_toktogul', 's_kara_kul', 120),
    ('s_kara_kul', 's_tash_kumyr', 78),
    ('s_kemin', 's_balykchy', 91),
    ('s_kochkor', 's_naryn', 119),
    ('s_osh', 's_gulcha', 80),
    ('s_naryn', 's_kazarman', 200),
]
# fmt: on
# fmt: off
VALLEY_SEGMENTS = [
    ('s_bishkek', 's_kara_balta', 62),
    ('s_bishkek', 's_tokmok', 63),
    ('s_tokmok', 's_kemin', 32),
    ('s_balykchy', 's_cholpon_ata', 80),
    ('s_cholpon_ata', 's_karakol', 142),
    ('s_balykchy', 's_karakol', 218),
    ('s_tash_kumyr', 's_jalal_abad', 97),
    ('s_jalal_abad', 's_osh', 100),
    ('s_balykchy', 's_kochkor', 45),
    ('s_talas', 'x_taraz', 110),
    ('s_osh', 's_batken', 250),
]
# fmt: on

# ------------------------------------------------------------------ edges
# (from, to, km or rule, shared roads.csv key (from, to), paved, winter_closure, note)
# km rules: int = length as published/derived in the shared row (see note);
# ("split", total, via) = M6; ("gc", "valley"|"mountain"|"overall", lower_bound) = M5.
# fmt: off
EDGES = [
    ('s_bishkek', 's_kara_balta', 62, ('Bishkek', 'Kara-Balta'), 'yes', 'no', ''),
    ('s_kara_balta', 'p_too_ashuu', 68, ('Kara-Balta', 'Too-Ashuu pass (Kolbaev tunnel)'), 'yes', 'temporary', ''),
    ('p_too_ashuu', 'j_suusamyr', 30, ('Too-Ashuu pass (Kolbaev tunnel)', 'Suusamyr junction (turn to Suusamyr/Kochkor road)'), 'yes', 'temporary', ''),
    ('j_suusamyr', 'j_talas', 25, ('Suusamyr junction', 'Ala-Bel pass'), 'yes', 'temporary', 'DERIVED: the 40 km Suusamyr junction-Ala-Bel segment split at the Talas junction, ~km 185 of EM-04 (shared roads.csv, Bishkek-Talas row): 185 - 160 = 25'),
    ('j_talas', 'p_ala_bel', 15, ('Suusamyr junction', 'Ala-Bel pass'), 'yes', 'temporary', 'DERIVED: Ala-Bel ~km 200 minus Talas junction ~km 185 = 15'),
    ('p_ala_bel', 's_toktogul', 80, ('Ala-Bel pass', 'Toktogul'), 'yes', 'temporary', ''),
    ('s_toktogul', 's_kara_kul', 120, ('Toktogul', 'Kara-Kul'), 'yes', 'temporary', 'Kok-Bel pass on this segment (elevation not found): max_elevation_m is a lower bound'),
    ('s_kara_kul', 's_tash_kumyr', 78, ('Kara-Kul', 'Tash-Kumyr'), 'yes', 'no', ''),
    ('s_tash_kumyr', 's_bazar_korgon', ('split', 97, 's_bazar_korgon'), ('Tash-Kumyr', 'Jalal-Abad'), 'yes', 'no', 'DERIVED (M6): 97 km split at Bazar-Korgon (named on the road) by straight-line distances'),
    ('s_bazar_korgon', 's_jalal_abad', ('split', 97, 's_bazar_korgon'), ('Tash-Kumyr', 'Jalal-Abad'), 'yes', 'no', 'DERIVED (M6): 97 km split at Bazar-Korgon (named on the road) by straight-line distances'),
    ('s_jalal_abad', 's_uzgen', 46, ('Jalal-Abad', 'Uzgen'), 'yes', 'no', 'DERIVED: Osh-Jalal-Abad 100 km minus Uzgen-Osh 54 km (the ADB 48 km section is shorter than the 50.2 km straight line between the town points, so the published 54 km is used)'),
    ('s_uzgen', 's_osh', 54, ('Uzgen', 'Osh'), 'yes', 'no', '54 km (samarkandtours, in the shared source); ADB section length 48 km and wikivoyage 50 km are shorter than the 50.2 km straight line between the GeoNames town points'),
    ('j_talas', 'p_otmok', 15, ('EM-04 Talas junction (between Suusamyr and Ala-Bel)', 'Talas'), 'yes', 'seasonal', 'DERIVED: 106 km split at the Otmok pass = end of the km 0-15 avalanche section'),
    ('p_otmok', 's_talas', 91, ('EM-04 Talas junction (between Suusamyr and Ala-Bel)', 'Talas'), 'yes', 'seasonal', "DERIVED: 106 - 15 km; winter: 'closed in winter' (Bradt 2008) taken as seasonal"),
    ('s_talas', 'x_taraz', 110, ('Talas', 'Taraz (Kazakhstan)'), 'yes', 'no', ''),
    ('x_taraz', 's_bishkek', ('gc', 'valley', 0), ('Taraz (Kazakhstan)', 'Bishkek'), 'yes', 'no', 'transit through Kazakhstan (border crossings; used by Bishkek-Talas traffic in winter)'),
    ('s_bishkek', 's_tokmok', 63, ('Bishkek', 'Tokmok'), 'yes', 'no', ''),
    ('s_tokmok', 's_kemin', 33, ('Tokmok', 'Kemin'), 'yes', 'no', 'DERIVED: 95 - 63 = 32 km is shorter than the 32.3 km straight line between the town points (km posts are not town centres); raised to 33'),
    ('s_kemin', 's_balykchy', 91, ('Kemin', 'Balykchy'), 'yes', 'no', ''),
    ('s_balykchy', 's_kochkor', 45, ('Balykchy', 'Kochkor'), 'yes', 'no', ''),
    ('s_kochkor', 'p_dolon', 67, ('Kochkor', 'Naryn'), 'yes', 'temporary', 'DERIVED: 298 - 231 = 67 from km posts on EM-11 from Bishkek: Balykchy 186, Kochkor 186+45=231, Dolon pass 298 (middle of the km 292-305 avalanche zone), Naryn ~350, Torugart 539 (EM-11 total); the shared 165 km Kochkor-Naryn used Kochkor ~185 km from Bishkek, which CONFLICTS with Balykchy 186 + 45'),
    ('p_dolon', 's_naryn', 52, ('Kochkor', 'Naryn'), 'yes', 'temporary', 'DERIVED: 350 - 298 = 52 from km posts on EM-11 from Bishkek: Balykchy 186, Kochkor 186+45=231, Dolon pass 298 (middle of the km 292-305 avalanche zone), Naryn ~350, Torugart 539 (EM-11 total); the shared 165 km Kochkor-Naryn used Kochkor ~185 km from Bishkek, which CONFLICTS with Balykchy 186 + 45'),
    ('s_naryn', 'b_torugart', 189, ('Naryn', 'Torugart (China border)'), 'partly', 'temporary', 'passes Kyzyl-Bel (~2500 m), Tuz-Bel, Ak-Beyit; At-Bashy 4-6 km off the road'),
    ('s_balykchy', 's_cholpon_ata', 80, ('Balykchy', 'Cholpon-Ata'), 'yes', 'no', ''),
    ('s_cholpon_ata', 's_karakol', 142, ('Cholpon-Ata', 'Karakol'), 'yes', 'no', ''),
    ('s_balykchy', 's_kadji_say', ('split', 218, 's_kadji_say'), ('Balykchy', 'Karakol (south shore via Kadji-Say, Bokonbaevo, Barskoon)'), 'yes', 'no', 'DERIVED (M6): 218 km split at Kadji-Say (south shore) by straight-line distances'),
    ('s_kadji_say', 's_karakol', ('split', 218, 's_kadji_say'), ('Balykchy', 'Karakol (south shore via Kadji-Say, Bokonbaevo, Barskoon)'), 'yes', 'no', 'DERIVED (M6): 218 km split at Kadji-Say (south shore) by straight-line distances'),
    ('s_osh', 'p_chyiyrchyk', 60, ('Osh', 'Gulcha'), 'yes', 'no', 'DERIVED: Chyiyrchyk ~60 km from Osh, ~20 road-km west of Gulcha'),
    ('p_chyiyrchyk', 's_gulcha', 20, ('Osh', 'Gulcha'), 'yes', 'no', 'DERIVED: 80 - 60'),
    ('s_gulcha', 'p_taldyk', 80, ('Gulcha', 'Sary-Tash'), 'yes', 'no', 'DERIVED: Taldyk 160 km from Osh minus Osh-Gulcha 80'),
    ('p_taldyk', 's_sary_tash', 30, ('Gulcha', 'Sary-Tash'), 'yes', 'no', 'DERIVED: ~30 km descent Taldyk-Sary-Tash; 40 let Kyrgyzstana pass (3541 m) on the way'),
    ('s_sary_tash', 'b_irkeshtam', 50, ('Sary-Tash', 'Irkeshtam (China border)'), 'no', 'temporary', 'Tong-Murun pass 3536 m on this segment'),
    ('s_osh', 's_batken', 250, ('Osh', 'Batken'), 'yes', 'no', 'old alignment through the Sokh enclave; the Kyrgyz-only bypass (no length found) was gravel in 2011 and rebuilt by 2015'),
    ('s_batken', 's_isfana', ('gc', 'valley', 96), ('Batken', 'Isfana'), 'partly', 'no', 'lower bound 346 - 250 = 96 km from the km posts'),
    ('s_naryn', 's_baetov', ('split', 200, 's_baetov'), ('Naryn', 'Kazarman'), 'no', 'seasonal', 'DERIVED (M6): 200 km split at Baetov (named on the road) by straight-line distances'),
    ('s_baetov', 's_kazarman', ('split', 200, 's_baetov'), ('Naryn', 'Kazarman'), 'no', 'seasonal', 'DERIVED (M6): 200 km split at Baetov (named on the road) by straight-line distances'),
    ('s_kazarman', 's_jalal_abad', 130, ('Kazarman', 'Jalal-Abad'), 'no', 'seasonal', 'DERIVED: Makmal mine 170 km from Jalal-Abad rail station and ~1 h east of Kazarman; 1 h on gravel ~ 38 km (Naryn-Kazarman 200 km in 4.5-6 h) -> 170 - 38 = 132, rounded to 130; Kaldama pass (elevation not found): max_elevation_m is a lower bound; UNCERTAIN'),
    ('s_uzgen', 's_kara_kulja', ('gc', 'mountain', 0), ('Uzgen', 'Kara-Kulja'), 'yes', 'no', ''),
    ('s_kochkor', 's_chaek', ('gc', 'overall', 0), ('Kochkor (A365 junction 4-7 km W)', 'Suusamyr junction on EM-04'), 'yes', 'temporary', 'A367 Kochkor-Chaek (mixed valley and pass road: overall ratio); asphalt as far as Chaek (LP 2014: no asphalt west of Chaek)'),
    ('s_chaek', 'j_suusamyr', ('gc', 'mountain', 0), ('Kochkor (A365 junction 4-7 km W)', 'Suusamyr junction on EM-04'), 'no', 'seasonal', 'A367 Chaek-Kyzyl-Oi-Suusamyr, graded gravel (LP 2014), summer route'),
]
# fmt: on
# published totals checked against shortest paths over the built graph (printed, not edges)
# fmt: off
CHECKS = [
    ('s_bishkek', 's_osh', 655, 'EM-04 total (AARoads; ADB 650)'),
    ('s_bishkek', 'b_torugart', 539, 'EM-11 total (AARoads)'),
    ('s_bishkek', 's_naryn', 350, 'Naryn ~350 km from Bishkek'),
    ('s_bishkek', 's_karakol', 380, 'Wikipedia text (CONFLICT with ~408 segment sum)'),
    ('s_bishkek', 's_talas', 360, 'triptokyrgyzstan (CONFLICT with ~290 derived)'),
    ('s_osh', 'b_irkeshtam', 240, 'gazeta.kg (tour route 256)'),
    ('s_osh', 's_jalal_abad', 100, 'cyclist 2014'),
]
# fmt: on
EXCLUDED = (
    "Not made edges: whole-road totals (Bishkek-Osh 655, Bishkek-Torugart 539, Bishkek-Talas "
    "360, Bishkek-Karakol 380, ring 440, Osh-Irkeshtam 240, Jalal-Abad-Osh 100 - used as checks), "
    "the North-South alternative road Balykchy-Jalal-Abad (not operational before 2015), the "
    "Osh-Batken bypass and Naryn-At-Bashy (no length found; At-Bashy is reached from the nearest "
    "nodes), Kyzyl-Art and the secondary passes without a road length in the shared data."
)

# fmt: off
SPLITS = {
    ('s_bazar_korgon', 97): ('s_tash_kumyr', 's_jalal_abad'),
    ('s_kadji_say', 218): ('s_balykchy', 's_karakol'),
    ('s_baetov', 200): ('s_naryn', 's_kazarman'),
}
# fmt: on

"""Each entity type on at least five cases per language, offsets into the original text.

The clock is frozen at Wednesday 2026-07-01 10:00 Europe/Berlin (see conftest.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from nlu.engine import Nlu

# (language, text, entity, expected value, expected surface text)
CASES: list[tuple[str, str, str, Any, str]] = [
    # date
    ("de", "kann ich morgen ein boot haben", "date", "2026-07-02", "morgen"),
    ("de", "am Samstag um 3", "date", "2026-07-04", "Samstag"),
    ("de", "boot am 12.7. reservieren", "date", "2026-07-12", "12.7."),
    ("de", "übermorgen nachmittag", "date", "2026-07-03", "übermorgen"),
    ("de", "nächsten Mittwoch bitte", "date", "2026-07-08", "nächsten Mittwoch"),
    ("de", "am 3. August", "date", "2026-08-03", "3. August"),
    ("de", "nächste Woche ein Kanu", "date", "2026-07-08", "nächste Woche"),
    ("de", "am Wochenende rudern", "date", "2026-07-04", "am Wochenende"),
    ("de", "in drei Tagen", "date", "2026-07-04", "in drei Tagen"),
    ("de", "nächsten Monat", "date", "2026-08-01", "nächsten Monat"),  # via dateparser
    ("en", "a boat for tomorrow", "date", "2026-07-02", "tomorrow"),
    ("en", "next friday at 2pm", "date", "2026-07-03", "next friday"),
    ("en", "on saturday please", "date", "2026-07-04", "saturday"),
    ("en", "can I come on July 12", "date", "2026-07-12", "July 12"),
    ("en", "the day after tomorrow", "date", "2026-07-03", "day after tomorrow"),
    ("en", "on 12/07/2026", "date", "2026-07-12", "12/07/2026"),
    ("en", "this weekend", "date", "2026-07-04", "this weekend"),
    ("en", "in 2 weeks", "date", "2026-07-15", "in 2 weeks"),
    ("nl", "morgen om drie uur", "date", "2026-07-02", "morgen"),
    ("nl", "zaterdag een kano", "date", "2026-07-04", "zaterdag"),
    ("nl", "overmorgen graag", "date", "2026-07-03", "overmorgen"),
    ("nl", "volgende vrijdag", "date", "2026-07-03", "volgende vrijdag"),
    ("nl", "op 12 juli", "date", "2026-07-12", "12 juli"),
    ("nl", "kan het vandaag nog", "date", "2026-07-01", "vandaag"),
    ("nl", "volgende week een kano", "date", "2026-07-08", "volgende week"),
    ("nl", "over twee weken", "date", "2026-07-15", "over twee weken"),
    # time (bare hours 1-7 are afternoon: see nlu/entities/temporal.py)
    ("de", "morgen um 3", "time", "15:00", "um 3"),
    ("de", "Samstag 15 Uhr", "time", "15:00", "15 Uhr"),
    ("de", "geht es um 14:30", "time", "14:30", "um 14:30"),
    ("de", "so gegen halb drei", "time", "14:30", "halb drei"),
    ("de", "um 11 Uhr vormittags", "time", "11:00", "um 11 Uhr"),
    ("de", "um 3 am Samstag", "time", "15:00", "um 3"),
    ("en", "next friday at 2pm", "time", "14:00", "at 2pm"),
    ("en", "tomorrow at 3", "time", "15:00", "at 3"),
    ("en", "at 10:30 please", "time", "10:30", "at 10:30"),
    ("en", "at 11 am", "time", "11:00", "at 11 am"),
    ("en", "around 5 pm", "time", "17:00", "5 pm"),
    ("nl", "morgen om drie uur", "time", "15:00", "om drie uur"),
    ("nl", "zaterdag om 14.00", "time", "14:00", "om 14.00"),
    ("nl", "om 11 uur", "time", "11:00", "om 11 uur"),
    ("nl", "om half vier", "time", "15:30", "om half vier"),
    ("nl", "vanaf 16:15", "time", "16:15", "vanaf 16:15"),
    # duration (minutes)
    ("de", "ruderboot für 2 Stunden", "duration", 120, "für 2 Stunden"),
    ("de", "90 Minuten reichen", "duration", 90, "90 Minuten"),
    ("de", "nur eine Stunde", "duration", 60, "eine Stunde"),
    ("de", "anderthalb Stunden", "duration", 90, "anderthalb Stunden"),
    ("de", "eine halbe Stunde", "duration", 30, "halbe Stunde"),
    ("en", "for 2 hours", "duration", 120, "for 2 hours"),
    ("en", "just for an hour", "duration", 60, "for an hour"),
    ("en", "half an hour is enough", "duration", 30, "half an hour"),
    ("en", "45 minutes", "duration", 45, "45 minutes"),
    ("en", "1.5 hours", "duration", 90, "1.5 hours"),
    ("nl", "anderhalf uur", "duration", 90, "anderhalf uur"),
    ("nl", "roeiboot voor twee uur", "duration", 120, "voor twee uur"),
    ("nl", "een half uur", "duration", 30, "half uur"),
    ("nl", "45 minuten", "duration", 45, "45 minuten"),
    ("nl", "voor een uur", "duration", 60, "voor een uur"),
    # amount (cents)
    ("de", "ich zahle 15,50 € mit dem Gutschein", "amount", 1550, "15,50 €"),
    ("de", "20 Euro abbuchen", "amount", 2000, "20 Euro"),
    ("de", "macht € 7,90", "amount", 790, "€ 7,90"),
    ("de", "12 EUR bitte", "amount", 1200, "12 EUR"),
    ("de", "3,20 mit gutschein", "amount", 320, "3,20"),
    ("en", "pay €20 with my voucher", "amount", 2000, "€20"),
    ("en", "15.50 euros please", "amount", 1550, "15.50 euros"),
    ("en", "EUR 30", "amount", 3000, "EUR 30"),
    ("en", "redeem 12 euro", "amount", 1200, "12 euro"),
    ("en", "it costs € 4.99", "amount", 499, "€ 4.99"),
    ("nl", "15,50 euro betalen", "amount", 1550, "15,50 euro"),
    ("nl", "€ 20 afschrijven", "amount", 2000, "€ 20"),
    ("nl", "7,95 met de bon", "amount", 795, "7,95"),
    ("nl", "10 euro graag", "amount", 1000, "10 euro"),
    ("nl", "dat is 2,50 €", "amount", 250, "2,50 €"),
    # voucher_code
    ("de", "Gutschein AHS-DEMO-0001 einlösen", "voucher_code", "AHS-DEMO-0001", "AHS-DEMO-0001"),
    ("de", "mein code ist ahs-7k2m-9qxd", "voucher_code", "AHS-7K2M-9QXD", "ahs-7k2m-9qxd"),
    ("de", "AHS DEMO 0002 bitte", "voucher_code", "AHS-DEMO-0002", "AHS DEMO 0002"),
    ("de", "guthaben von AHS-DEMO-0010?", "voucher_code", "AHS-DEMO-0010", "AHS-DEMO-0010"),
    ("de", "AHS7K2M9QXD", "voucher_code", "AHS-7K2M-9QXD", "AHS7K2M9QXD"),
    ("en", "balance of AHS-DEMO-0003", "voucher_code", "AHS-DEMO-0003", "AHS-DEMO-0003"),
    ("en", "my code is ahs-demo-0004", "voucher_code", "AHS-DEMO-0004", "ahs-demo-0004"),
    ("en", "use AHS-K3P9-22QX now", "voucher_code", "AHS-K3P9-22QX", "AHS-K3P9-22QX"),
    ("en", "voucher ahs demo 0005", "voucher_code", "AHS-DEMO-0005", "ahs demo 0005"),
    ("en", "(AHS-DEMO-0006)", "voucher_code", "AHS-DEMO-0006", "AHS-DEMO-0006"),
    ("nl", "saldo van AHS-DEMO-0007", "voucher_code", "AHS-DEMO-0007", "AHS-DEMO-0007"),
    ("nl", "code ahs-7k2m-9qxd gebruiken", "voucher_code", "AHS-7K2M-9QXD", "ahs-7k2m-9qxd"),
    ("nl", "bon AHS-DEMO-0008 inwisselen", "voucher_code", "AHS-DEMO-0008", "AHS-DEMO-0008"),
    ("nl", "AHS DEMO 0009", "voucher_code", "AHS-DEMO-0009", "AHS DEMO 0009"),
    ("nl", "mijn bon: AHS-X1Y2-Z3W4", "voucher_code", "AHS-X1Y2-Z3W4", "AHS-X1Y2-Z3W4"),
    # reference
    ("de", "Stand von AH-2026-004711?", "reference", "AH-2026-004711", "AH-2026-004711"),
    ("de", "aktenzeichen ah-2026-000123", "reference", "AH-2026-000123", "ah-2026-000123"),
    ("de", "AH 2026 004711", "reference", "AH-2026-004711", "AH 2026 004711"),
    ("de", "Vorgang AH-2025-123456 bitte", "reference", "AH-2025-123456", "AH-2025-123456"),
    ("de", "(AH-2026-999999)", "reference", "AH-2026-999999", "AH-2026-999999"),
    ("en", "status of AH-2026-004711", "reference", "AH-2026-004711", "AH-2026-004711"),
    ("en", "ref ah-2026-000042", "reference", "AH-2026-000042", "ah-2026-000042"),
    ("en", "my case AH 2026 001234", "reference", "AH-2026-001234", "AH 2026 001234"),
    ("en", "AH-2024-777777 any news", "reference", "AH-2024-777777", "AH-2024-777777"),
    ("en", "number: AH-2026-000001.", "reference", "AH-2026-000001", "AH-2026-000001"),
    ("nl", "hoe staat het met AH-2026-004711", "reference", "AH-2026-004711", "AH-2026-004711"),
    ("nl", "melding ah-2026-000321", "reference", "AH-2026-000321", "ah-2026-000321"),
    ("nl", "nummer AH 2026 004712", "reference", "AH-2026-004712", "AH 2026 004712"),
    ("nl", "zaak AH-2025-000999 graag", "reference", "AH-2025-000999", "AH-2025-000999"),
    ("nl", "AH-2026-123123?", "reference", "AH-2026-123123", "AH-2026-123123"),
    # phone (E.164, region DE by default, NL for Dutch-speaking contacts)
    ("de", "ruf mich an: 0151 23456789", "phone", "+4915123456789", "0151 23456789"),
    ("de", "meine nummer 02561/123456", "phone", "+492561123456", "02561/123456"),
    ("de", "Tel. +49 2561 72-0", "phone", "+492561720", "+49 2561 72-0"),
    ("de", "unter 0170-1234567", "phone", "+491701234567", "0170-1234567"),
    ("de", "+31 6 12345678 ist mein handy", "phone", "+31612345678", "+31 6 12345678"),
    ("en", "call me on +49 151 23456789", "phone", "+4915123456789", "+49 151 23456789"),
    ("en", "my number is 0151 2345 6789", "phone", "+4915123456789", "0151 2345 6789"),
    ("en", "phone +44 20 7946 0958", "phone", "+442079460958", "+44 20 7946 0958"),
    ("en", "reach me at 02561 987654", "phone", "+492561987654", "02561 987654"),
    ("en", "+31 20 123 4567", "phone", "+31201234567", "+31 20 123 4567"),
    ("nl", "bel me op 06 12345678", "phone", "+31612345678", "06 12345678"),
    ("nl", "mijn nummer is +31 6 87654321", "phone", "+31687654321", "+31 6 87654321"),
    ("nl", "telefoon 053-4801234", "phone", "+31534801234", "053-4801234"),
    ("nl", "+49 151 23456789 is ook goed", "phone", "+4915123456789", "+49 151 23456789"),
    ("nl", "bereikbaar op 020 1234567", "phone", "+31201234567", "020 1234567"),
    # email
    (
        "de", "meine mail: Max.Muster@Example.de", "email",
        "max.muster@example.de", "Max.Muster@Example.de",
    ),
    ("de", "an anna@ahaus.de bitte", "email", "anna@ahaus.de", "anna@ahaus.de"),
    ("de", "E-Mail JENS_K@web.DE", "email", "jens_k@web.de", "JENS_K@web.DE"),
    ("de", "schreib an a.b+c@gmx.net.", "email", "a.b+c@gmx.net", "a.b+c@gmx.net"),
    ("de", "kontakt: info@stadt-ahaus.de", "email", "info@stadt-ahaus.de", "info@stadt-ahaus.de"),
    ("en", "email me at John@Example.COM", "email", "john@example.com", "John@Example.COM"),
    (
        "en", "my address is jane.doe@mail.co.uk", "email",
        "jane.doe@mail.co.uk", "jane.doe@mail.co.uk",
    ),
    ("en", "X@Y.io", "email", "x@y.io", "X@Y.io"),
    (
        "en", "send to bob-smith@company.org please", "email",
        "bob-smith@company.org", "bob-smith@company.org",
    ),
    ("en", "(tom@site.net)", "email", "tom@site.net", "tom@site.net"),
    ("nl", "mijn mail is Jan@Voorbeeld.nl", "email", "jan@voorbeeld.nl", "Jan@Voorbeeld.nl"),
    (
        "nl", "stuur naar piet.jansen@ziggo.nl", "email",
        "piet.jansen@ziggo.nl", "piet.jansen@ziggo.nl",
    ),
    ("nl", "e-mail: INFO@GEMEENTE.NL", "email", "info@gemeente.nl", "INFO@GEMEENTE.NL"),
    ("nl", "mail kees_99@hotmail.com graag", "email", "kees_99@hotmail.com", "kees_99@hotmail.com"),
    ("nl", "adres: a@b.nl", "email", "a@b.nl", "a@b.nl"),
    # boat_type
    ("de", "ich will ein Ruderboot", "boat_type", "Ruderboot", "Ruderboot"),
    ("de", "ein rudeboot bitte", "boat_type", "Ruderboot", "rudeboot"),
    ("de", "tretbot für morgen", "boat_type", "Tretboot", "tretbot"),
    ("de", "Paddelboot leihen", "boat_type", "Kanu", "Paddelboot"),
    ("de", "Tretbootverleih am Schloss", "boat_type", "Tretboot", "Tretbootverleih"),
    ("en", "rent a rowboat", "boat_type", "Ruderboot", "rowboat"),
    ("en", "a pedal boat please", "boat_type", "Tretboot", "pedal boat"),
    ("en", "canoe for two", "boat_type", "Kanu", "canoe"),
    ("en", "can we get a kayak", "boat_type", "Kanu", "kayak"),
    ("en", "one pedalo", "boat_type", "Tretboot", "pedalo"),
    ("nl", "een roeiboot huren", "boat_type", "Ruderboot", "roeiboot"),
    ("nl", "waterfiets voor zaterdag", "boat_type", "Tretboot", "waterfiets"),
    ("nl", "kano huren", "boat_type", "Kanu", "kano"),
    ("nl", "twee waterfietsen", "boat_type", "Tretboot", "waterfietsen"),
    ("nl", "roeibot graag", "boat_type", "Ruderboot", "roeibot"),
    # service (the lookup comes from the service flow files: titles and synonyms)
    ("de", "Sperrmüll anmelden", "service", "bulky_waste", "Sperrmüll"),
    (
        "de", "neuer Personalausweis", "service",
        "citizens_office_appointment", "Personalausweis",
    ),
    ("de", "Hundesteuer anmelden", "service", "dog_registration", "Hundesteuer"),
    (
        "de", "Anwohnerparkausweis beantragen", "service",
        "residents_parking_permit", "Anwohnerparkausweis",
    ),
    ("de", "ich muss mich ummelden", "service", "change_of_address", "ummelden"),
    ("en", "bulky waste pickup", "service", "bulky_waste", "bulky waste pickup"),
    ("en", "renew my passport", "service", "citizens_office_appointment", "passport"),
    ("en", "register my dog", "service", "dog_registration", "dog"),
    (
        "en", "residents parking permit", "service",
        "residents_parking_permit", "residents parking permit",
    ),
    ("en", "change of address", "service", "change_of_address", "change of address"),
    ("nl", "grofvuil laten ophalen", "service", "bulky_waste", "grofvuil"),
    ("nl", "nieuw paspoort aanvragen", "service", "citizens_office_appointment", "paspoort"),
    ("nl", "hond aanmelden", "service", "dog_registration", "hond aanmelden"),
    (
        "nl", "parkeervergunning aanvragen", "service",
        "residents_parking_permit", "parkeervergunning",
    ),
    ("nl", "verhuizing doorgeven", "service", "change_of_address", "verhuizing doorgeven"),
    # service_aspect: the part of a service description a question asks for
    (
        "de", "Welche Unterlagen für den Umzug?", "service_aspect",
        "requirements", "Welche Unterlagen",
    ),
    ("de", "was kostet das", "service_aspect", "fees", "kostet"),
    ("de", "wo geht das", "service_aspect", "where", "wo"),
    ("de", "wie lange muss ich warten", "service_aspect", "processing_time", "wie lange"),
    ("de", "nach welchem Gesetz", "service_aspect", "legal_basis", "Gesetz"),
    ("en", "which documents", "service_aspect", "requirements", "documents"),
    ("en", "how much is it", "service_aspect", "fees", "how much"),
    ("en", "where to go", "service_aspect", "where", "where"),
    ("en", "how long will it take", "service_aspect", "processing_time", "how long"),
    ("en", "what is the legal basis", "service_aspect", "legal_basis", "legal basis"),
    ("nl", "wat heb ik nodig", "service_aspect", "requirements", "wat heb ik nodig"),
    ("nl", "wat is de prijs", "service_aspect", "fees", "prijs"),
    ("nl", "waar moet dat", "service_aspect", "where", "waar"),
    ("nl", "hoe lang wachten", "service_aspect", "processing_time", "hoe lang"),
    ("nl", "welke verordening geldt", "service_aspect", "legal_basis", "verordening"),
    # issue_category
    ("de", "Schlagloch in der Straße", "issue_category", "pothole", "Schlagloch"),
    ("de", "die Laterne ist kaputt", "issue_category", "streetlight", "Laterne"),
    ("de", "illegale Müllablagerung im Wald", "issue_category", "dumping",
     "illegale Müllablagerung"),
    ("de", "Graffiti an der Schule", "issue_category", "graffiti", "Graffiti"),
    ("de", "Mülleimer quillt über", "issue_category", "bin", "Mülleimer"),
    ("en", "there is a pothole", "issue_category", "pothole", "pothole"),
    ("en", "streetlight not working", "issue_category", "streetlight", "streetlight"),
    ("en", "fallen tree on the path", "issue_category", "fallen_tree", "fallen tree"),
    ("en", "someone dumped rubbish", "issue_category", "dumping", "dumped"),
    ("en", "graffiti on the bridge", "issue_category", "graffiti", "graffiti"),
    ("nl", "kuil in de weg", "issue_category", "pothole", "kuil"),
    ("nl", "lantaarnpaal kapot", "issue_category", "streetlight", "lantaarnpaal"),
    ("nl", "omgevallen boom", "issue_category", "fallen_tree", "omgevallen boom"),
    ("nl", "prullenbak vol", "issue_category", "bin", "prullenbak"),
    ("nl", "afval gedumpt", "issue_category", "dumping", "afval gedumpt"),
    # merchant_category
    ("de", "welches Café nimmt den Gutschein", "merchant_category", "cafe", "Café"),
    ("de", "beim Bäcker einlösen", "merchant_category", "bakery", "Bäcker"),
    ("de", "gibt es eine Apotheke", "merchant_category", "pharmacy", "Apotheke"),
    ("de", "Friseur mit Gutschein", "merchant_category", "hairdresser", "Friseur"),
    ("de", "eine Eisdiele", "merchant_category", "ice_cream", "Eisdiele"),
    ("en", "which bakery takes it", "merchant_category", "bakery", "bakery"),
    ("en", "a bookshop nearby", "merchant_category", "books", "bookshop"),
    ("en", "any florist", "merchant_category", "florist", "florist"),
    ("en", "ice cream with the voucher", "merchant_category", "ice_cream", "ice cream"),
    ("en", "a coffee shop", "merchant_category", "cafe", "coffee shop"),
    ("nl", "bij de bakker", "merchant_category", "bakery", "bakker"),
    ("nl", "een kapper", "merchant_category", "hairdresser", "kapper"),
    ("nl", "de apotheek", "merchant_category", "pharmacy", "apotheek"),
    ("nl", "ijssalon met de bon", "merchant_category", "ice_cream", "ijssalon"),
    ("nl", "een boekwinkel", "merchant_category", "books", "boekwinkel"),
    # place
    ("de", "wann hat das Rathaus auf", "place", "town_hall", "Rathaus"),
    ("de", "Bürgerbüro Öffnungszeiten", "place", "citizens_office", "Bürgerbüro"),
    ("de", "ist der Wertstoffhof offen", "place", "recycling_yard", "Wertstoffhof"),
    ("de", "Stadtbücherei heute", "place", "library", "Stadtbücherei"),
    ("de", "Hallenbad Zeiten", "place", "pool", "Hallenbad"),
    ("en", "is the town hall open", "place", "town_hall", "town hall"),
    ("en", "citizens office hours", "place", "citizens_office", "citizens office"),
    ("en", "recycling centre times", "place", "recycling_yard", "recycling centre"),
    ("en", "library hours", "place", "library", "library"),
    ("en", "swimming pool today", "place", "pool", "swimming pool"),
    ("nl", "is het stadhuis open", "place", "town_hall", "stadhuis"),
    ("nl", "burgerzaken openingstijden", "place", "citizens_office", "burgerzaken"),
    ("nl", "milieustraat zaterdag", "place", "recycling_yard", "milieustraat"),
    ("nl", "de bibliotheek", "place", "library", "bibliotheek"),
    ("nl", "zwembad open", "place", "pool", "zwembad"),
    # merchant (fuzzy lookup; names from the demo city's generated lookup file)
    ("de", "nimmt das Eiscafé am Schloss Gutscheine", "merchant", "Eiscafé am Schloss",
     "Eiscafé am Schloss"),
    ("de", "eiscafe am schlos", "merchant", "Eiscafé am Schloss", "eiscafe am schlos"),
    ("de", "beim Café am Markt", "merchant", "Café am Markt", "Café am Markt"),
    ("de", "bei der Brunnen Apotheke", "merchant", "Brunnen-Apotheke", "Brunnen Apotheke"),
    ("de", "trattoria da paolo", "merchant", "Trattoria da Paolo", "trattoria da paolo"),
    ("en", "does Eiscafe am Schloss take it", "merchant", "Eiscafé am Schloss",
     "Eiscafe am Schloss"),
    ("en", "is Kaffeehaus Büscher in", "merchant", "Kaffeehaus Büscher", "Kaffeehaus Büscher"),
    ("en", "spielwaren tenbrok", "merchant", "Spielwaren Tenbrock", "spielwaren tenbrok"),
    ("en", "at Schuhhaus Hessing", "merchant", "Schuhhaus Hessing", "Schuhhaus Hessing"),
    ("en", "salon sophie accepts?", "merchant", "Salon Sophie", "salon sophie"),
    ("nl", "neemt Eiscafé am Schloss de bon aan", "merchant", "Eiscafé am Schloss",
     "Eiscafé am Schloss"),
    ("nl", "bij radhof ebbing", "merchant", "Radhof Ebbing", "radhof ebbing"),
    ("nl", "rosterei huning", "merchant", "Rösterei Hüning", "rosterei huning"),
    ("nl", "gasthof wessels", "merchant", "Gasthof Wessels", "gasthof wessels"),
    ("nl", "modehuis heming", "merchant", "Modehaus Heming", "modehuis heming"),
    # street (fuzzy lookup)
    ("de", "Schlagloch in der Marktstraße", "street", "Marktstraße", "Marktstraße"),
    ("de", "am Sümmermannplatz", "street", "Sümmermannplatz", "Sümmermannplatz"),
    ("de", "schlossstrasse 5", "street", "Schloßstraße", "schlossstrasse"),
    ("de", "Wüllener Str. 12", "street", "Wüllener Straße", "Wüllener Str"),
    ("de", "marktstr", "street", "Marktstraße", "marktstr"),
    ("en", "pothole on Marktstrasse", "street", "Marktstraße", "Marktstrasse"),
    ("en", "near Wuellener Strasse", "street", "Wüllener Straße", "Wuellener Strasse"),
    ("en", "at Sümmermannplatz", "street", "Sümmermannplatz", "Sümmermannplatz"),
    ("en", "on Bahnhofstraße", "street", "Bahnhofstraße", "Bahnhofstraße"),
    ("en", "coesfelder strase", "street", "Coesfelder Straße", "coesfelder strase"),
    ("nl", "kuil in de Marktstraße", "street", "Marktstraße", "Marktstraße"),
    ("nl", "bij de Schlossstrasse", "street", "Schloßstraße", "Schlossstrasse"),
    ("nl", "op de Wallstraße", "street", "Wallstraße", "Wallstraße"),
    ("nl", "oldenkottplatz", "street", "Oldenkottplatz", "oldenkottplatz"),
    ("nl", "vredener strasse", "street", "Vredener Straße", "vredener strasse"),
    # language_request
    ("de", "auf Deutsch bitte", "language_request", "de", "auf Deutsch"),
    ("de", "kannst du Englisch", "language_request", "en", "Englisch"),
    ("de", "lieber niederländisch", "language_request", "nl", "niederländisch"),
    ("de", "Deutsch", "language_request", "de", "Deutsch"),
    ("de", "bitte in English", "language_request", "en", "in English"),
    ("en", "English please", "language_request", "en", "English"),
    ("en", "can we speak German", "language_request", "de", "German"),
    ("en", "switch to dutch", "language_request", "nl", "dutch"),
    ("en", "in english", "language_request", "en", "in english"),
    ("en", "do you speak Dutch?", "language_request", "nl", "Dutch"),
    ("nl", "Nederlands graag", "language_request", "nl", "Nederlands"),
    ("nl", "kan het in het Duits", "language_request", "de", "in het Duits"),
    ("nl", "liever Engels", "language_request", "en", "Engels"),
    ("nl", "in het nederlands aub", "language_request", "nl", "in het nederlands"),
    ("nl", "spreek je duits", "language_request", "de", "duits"),
]


@pytest.mark.parametrize(("lang", "text", "entity", "value", "surface"), CASES)
def test_entity(
    model: Nlu, now: datetime, lang: str, text: str, entity: str, value: Any, surface: str
) -> None:
    found = [e for e in model.parse(text, lang=lang, now=now)["entities"]
             if e["entity"] == entity]
    assert [(e["value"], text[e["start"] : e["end"]]) for e in found] == [(value, surface)]


def test_every_entity_type_has_five_cases_per_language() -> None:
    counts: dict[tuple[str, str], int] = {}
    for lang, _, entity, _, _ in CASES:
        counts[(entity, lang)] = counts.get((entity, lang), 0) + 1
    entities = {c[2] for c in CASES}
    assert len(entities) == 17
    assert all(counts.get((e, lang), 0) >= 5 for e in entities for lang in ("de", "en", "nl"))


def test_greeting_morning_is_not_a_date(model: Nlu, now: datetime) -> None:
    assert model.parse("Guten Morgen!", now=now)["entities"] == []


def test_ordinary_german_is_not_an_issue_category(model: Nlu, now: datetime) -> None:
    ents = model.parse("ich bin umgezogen", lang="de", now=now)["entities"]
    assert [e["entity"] for e in ents] == ["service"]


def test_fuzzy_names_prefer_the_best_overlapping_window() -> None:
    """With similar names in the table, the closest full name wins, not a prefix."""
    from nlu.entities.lookup import LookupExtractor
    from nlu.normalize import normalize, word_spans

    lookups = {"merchant": ["Eiscafé am Schloss", "Eiscafé Tim", "Eiscafé Jan", "Café am Markt"]}
    extractor = LookupExtractor(lookups, {}, set())
    text = normalize("nimmt das eiscafe am schloss den gutschein").text
    hits = extractor.extract(word_spans(text))
    assert [(h[0], h[1]) for h in hits] == [("merchant", "Eiscafé am Schloss")]

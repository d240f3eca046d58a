#!/usr/bin/env python3
"""Build the Chorus demo content file (demo.json).

Usage (from the repository root):

    python3 server/demo/build_demo.py path/to/corpus/sdg > server/demo/demo.json

where the argument is the `sdg` folder of the shared corpus: the open-sdg sdg-translations YAML
files.

The hand-written part (taxonomy, the Sex Worker Networks Consortium, its programmes, resources and
good practices) lives in this file. The SDG-derived resources are generated from the open-sdg
sdg-translations YAML files (MIT licence, see SDG-LICENSE). The output is deterministic.

The domain enums (statuses, resource and organisation kinds, organisation roles, taxonomies) are
read from domain.json next to this file, which is generated from entities/src/enums.rs: after
changing those enums, regenerate it with `CHORUS_BLESS=1 cargo test -p chorus-entities`.

Needs Python 3 and PyYAML. The data set is validated before it is written; any problem aborts with
a non-zero exit status and nothing is printed on stdout.
"""

import html
import json
import re
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import yaml

CONFIGURED = ["en", "fr", "es", "ru", "zh-Hans"]
ALL_LOCALES = CONFIGURED + ["ar"]

# The stored values of the domain enums, generated from entities/src/enums.rs.
DOMAIN = json.loads((Path(__file__).parent / "domain.json").read_text(encoding="utf-8"))
STATUSES = set(DOMAIN["PublicationStatus"])
RESOURCE_KINDS = set(DOMAIN["ResourceKind"])
ORG_KINDS = set(DOMAIN["OrganizationKind"])
ORG_ROLES = set(DOMAIN["OrganizationRole"])
TAXONOMIES = set(DOMAIN["Taxonomy"])

PUB, DRAFT, REVIEW = "published", "draft", "in_review"


def tr(title, summary="", body="", status=PUB):
    """One translation object."""
    return {"status": status, "title": title, "summary": summary, "body": body}


# ---------------------------------------------------------------------------------------------
# Taxonomy
# ---------------------------------------------------------------------------------------------

LOCS5 = CONFIGURED

REGIONS = [
    ("global", ["Global", "Mondial", "Mundial", "Глобальный уровень", "全球"]),
    ("africa", ["Africa", "Afrique", "África", "Африка", "非洲"]),
    ("asia-pacific", ["Asia and the Pacific", "Asie et Pacifique", "Asia y el Pacífico",
                      "Азиатско-Тихоокеанский регион", "亚洲及太平洋"]),
    ("caribbean", ["Caribbean", "Caraïbes", "Caribe", "Карибский бассейн", "加勒比"]),
    ("europe", ["Europe", "Europe", "Europa", "Европа", "欧洲"]),
    ("eastern-europe-central-asia", ["Eastern Europe and Central Asia", "Europe de l'Est et Asie centrale",
                                     "Europa del Este y Asia Central", "Восточная Европа и Центральная Азия",
                                     "东欧和中亚"]),
    ("latin-america", ["Latin America", "Amérique latine", "América Latina", "Латинская Америка", "拉丁美洲"]),
    ("north-america", ["North America", "Amérique du Nord", "América del Norte", "Северная Америка", "北美洲"]),
]

COUNTRIES = [
    ("KE", "africa", ["Kenya", "Kenya", "Kenia", "Кения", "肯尼亚"]),
    ("ZA", "africa", ["South Africa", "Afrique du Sud", "Sudáfrica", "Южная Африка", "南非"]),
    ("NG", "africa", ["Nigeria", "Nigeria", "Nigeria", "Нигерия", "尼日利亚"]),
    ("UG", "africa", ["Uganda", "Ouganda", "Uganda", "Уганда", "乌干达"]),
    ("SN", "africa", ["Senegal", "Sénégal", "Senegal", "Сенегал", "塞内加尔"]),
    ("CM", "africa", ["Cameroon", "Cameroun", "Camerún", "Камерун", "喀麦隆"]),
    ("ZW", "africa", ["Zimbabwe", "Zimbabwe", "Zimbabue", "Зимбабве", "津巴布韦"]),
    ("TH", "asia-pacific", ["Thailand", "Thaïlande", "Tailandia", "Таиланд", "泰国"]),
    ("IN", "asia-pacific", ["India", "Inde", "India", "Индия", "印度"]),
    ("KH", "asia-pacific", ["Cambodia", "Cambodge", "Camboya", "Камбоджа", "柬埔寨"]),
    ("MM", "asia-pacific", ["Myanmar", "Myanmar", "Myanmar", "Мьянма", "缅甸"]),
    ("ID", "asia-pacific", ["Indonesia", "Indonésie", "Indonesia", "Индонезия", "印度尼西亚"]),
    ("JM", "caribbean", ["Jamaica", "Jamaïque", "Jamaica", "Ямайка", "牙买加"]),
    ("DO", "caribbean", ["Dominican Republic", "République dominicaine", "República Dominicana",
                         "Доминиканская Республика", "多米尼加共和国"]),
    ("GY", "caribbean", ["Guyana", "Guyana", "Guyana", "Гайана", "圭亚那"]),
    ("TT", "caribbean", ["Trinidad and Tobago", "Trinité-et-Tobago", "Trinidad y Tabago",
                         "Тринидад и Тобаго", "特立尼达和多巴哥"]),
    ("FR", "europe", ["France", "France", "Francia", "Франция", "法国"]),
    ("GB", "europe", ["United Kingdom", "Royaume-Uni", "Reino Unido", "Великобритания", "英国"]),
    ("DE", "europe", ["Germany", "Allemagne", "Alemania", "Германия", "德国"]),
    ("UA", "eastern-europe-central-asia", ["Ukraine", "Ukraine", "Ucrania", "Украина", "乌克兰"]),
    ("KG", "eastern-europe-central-asia", ["Kyrgyzstan", "Kirghizistan", "Kirguistán", "Кыргызстан",
                                           "吉尔吉斯斯坦"]),
    ("MD", "eastern-europe-central-asia", ["Republic of Moldova", "République de Moldova",
                                           "República de Moldova", "Республика Молдова", "摩尔多瓦共和国"]),
    ("KZ", "eastern-europe-central-asia", ["Kazakhstan", "Kazakhstan", "Kazajstán", "Казахстан", "哈萨克斯坦"]),
    ("AR", "latin-america", ["Argentina", "Argentine", "Argentina", "Аргентина", "阿根廷"]),
    ("PE", "latin-america", ["Peru", "Pérou", "Perú", "Перу", "秘鲁"]),
    ("SV", "latin-america", ["El Salvador", "El Salvador", "El Salvador", "Сальвадор", "萨尔瓦多"]),
    ("EC", "latin-america", ["Ecuador", "Équateur", "Ecuador", "Эквадор", "厄瓜多尔"]),
    ("CA", "north-america", ["Canada", "Canada", "Canadá", "Канада", "加拿大"]),
    ("US", "north-america", ["United States of America", "États-Unis d'Amérique", "Estados Unidos de América",
                             "Соединённые Штаты Америки", "美国"]),
]

TOPICS = [
    ("hiv", ["HIV", "VIH", "VIH", "ВИЧ", "艾滋病毒"]),
    ("human-rights", ["Human rights", "Droits humains", "Derechos humanos", "Права человека", "人权"]),
    ("criminalisation", ["Criminalisation", "Criminalisation", "Criminalización", "Криминализация", "刑事定罪"]),
    ("violence", ["Violence", "Violence", "Violencia", "Насилие", "暴力"]),
    ("stigma-discrimination", ["Stigma and discrimination", "Stigmatisation et discrimination",
                               "Estigma y discriminación", "Стигма и дискриминация", "污名与歧视"]),
    ("health-services", ["Health services", "Services de santé", "Servicios de salud", "Медицинские услуги",
                         "卫生服务"]),
    ("community-empowerment", ["Community empowerment", "Autonomisation communautaire",
                               "Empoderamiento comunitario", "Расширение прав и возможностей сообществ",
                               "社区赋权"]),
    ("funding", ["Funding", "Financement", "Financiación", "Финансирование", "资金"]),
    ("global-fund", ["The Global Fund", "Fonds mondial", "Fondo Mundial", "Глобальный фонд", "全球基金"]),
    ("sdg", ["Sustainable Development Goals", "Objectifs de développement durable",
             "Objetivos de Desarrollo Sostenible", "Цели устойчивого развития", "可持续发展目标"]),
    ("gender", ["Gender", "Genre", "Género", "Гендер", "性别"]),
    ("migration", ["Migration", "Migration", "Migración", "Миграция", "移民"]),
    ("legal-reform", ["Legal reform", "Réforme juridique", "Reforma legal", "Правовая реформа", "法律改革"]),
]


def build_terms():
    terms = []
    for code, labels in REGIONS:
        terms.append({"taxonomy": "region", "code": code, "parent": None, "labels": dict(zip(LOCS5, labels))})
    for code, region, labels in COUNTRIES:
        terms.append({"taxonomy": "country", "code": code, "parent": region, "labels": dict(zip(LOCS5, labels))})
    for code, labels in TOPICS:
        terms.append({"taxonomy": "topic", "code": code, "parent": None, "labels": dict(zip(LOCS5, labels))})
    return terms


# ---------------------------------------------------------------------------------------------
# Organisations
# ---------------------------------------------------------------------------------------------

NSWP_LINK = '<a href="https://www.nswp.org">nswp.org</a>'

# Shared body of the six regional networks, per locale ({acr} is the network's acronym).
REGIONAL_BODY = {
    "en": "<p>In 2013, NSWP and six regional networks, including {acr}, formed the Sex Worker Networks "
          "Consortium to seek funding from the Robert Carr civil society Networks Fund.</p>"
          "<p>Within the consortium, {acr} supports national sex worker-led organisations in its region to "
          "influence HIV policies and programmes and to take part in Global Fund processes.</p>",
    "fr": "<p>En 2013, le NSWP et six réseaux régionaux, dont {acr}, ont constitué le Consortium des réseaux "
          "de travailleurSEs du sexe afin de solliciter un financement du Robert Carr civil society Networks "
          "Fund.</p><p>Au sein du consortium, {acr} accompagne les organisations nationales dirigées par des "
          "travailleurSEs du sexe de sa région pour qu'elles pèsent sur les politiques et les programmes de "
          "lutte contre le VIH et participent aux processus du Fonds mondial.</p>",
    "es": "<p>En 2013, NSWP y seis redes regionales, entre ellas {acr}, formaron el Consorcio de Redes de "
          "Personas Trabajadoras Sexuales para solicitar financiación al Robert Carr civil society Networks "
          "Fund.</p><p>Dentro del consorcio, {acr} apoya a las organizaciones nacionales lideradas por personas "
          "trabajadoras sexuales de su región para que incidan en las políticas y programas de VIH y participen "
          "en los procesos del Fondo Mundial.</p>",
    "ru": "<p>В 2013 году NSWP и шесть региональных сетей, в том числе {acr}, образовали Консорциум сетей "
          "секс-работников, чтобы привлечь финансирование Фонда Роберта Карра для сетей гражданского "
          "общества (RCNF).</p><p>В рамках консорциума {acr} поддерживает национальные организации "
          "секс-работников своего региона, помогая им влиять на политику и программы в области ВИЧ и "
          "участвовать в процессах Глобального фонда.</p>",
    "zh-Hans": "<p>2013年，NSWP与包括{acr}在内的六个区域网络组成性工作者网络联盟，向罗伯特·卡尔民间社会网络基金"
               "申请资金。</p><p>在联盟中，{acr}支持本区域由性工作者主导的国家组织影响艾滋病相关政策和项目，"
               "并参与全球基金的各项进程。</p>",
}


def regional(key, acr, region, source, items):
    """items: list of (locale, title, summary, status)."""
    translations = {}
    for loc, title, summary, status in items:
        translations[loc] = tr(title, summary, REGIONAL_BODY[loc].format(acr=acr), status)
    return {"key": key, "kind": "regional_network", "acronym": acr, "website": None, "region": region,
            "parent": "nswp", "source_locale": source, "translations": translations}


def build_organizations():
    orgs = []
    orgs.append({
        "key": "nswp", "kind": "global_network", "acronym": "NSWP", "website": "https://www.nswp.org",
        "region": "global", "parent": None, "source_locale": "en",
        "translations": {
            "en": tr("Global Network of Sex Work Projects",
                     "NSWP is the global network of organisations led by sex workers. It brings together regional "
                     "and national networks to advocate for the rights, health and self-determination of sex "
                     "workers of all genders.",
                     "<p>NSWP works at the global level and coordinates the <strong>Sex Worker Networks "
                     "Consortium</strong>, formed in 2013 with six regional sex worker networks.</p><p>Through the "
                     "consortium, NSWP supports regional and national sex worker-led organisations to take part in "
                     "decisions on HIV policy and funding. See " + NSWP_LINK + ".</p>"),
            "fr": tr("Réseau mondial des projets sur le travail du sexe",
                     "Le NSWP est le réseau mondial des organisations dirigées par des travailleurSEs du sexe. Il "
                     "rassemble des réseaux régionaux et nationaux pour défendre les droits, la santé et "
                     "l'autodétermination des travailleurSEs du sexe de tous les genres.",
                     "<p>Le NSWP agit à l'échelle mondiale et coordonne le <strong>Consortium des réseaux de "
                     "travailleurSEs du sexe</strong>, constitué en 2013 avec six réseaux régionaux.</p><p>Grâce "
                     "au consortium, le NSWP aide les organisations régionales et nationales dirigées par des "
                     "travailleurSEs du sexe à peser sur les décisions relatives aux politiques et aux "
                     "financements de la lutte contre le VIH. Voir " + NSWP_LINK + ".</p>"),
            "es": tr("Red Global de Proyectos de Trabajo Sexual",
                     "NSWP es la red mundial de organizaciones lideradas por personas trabajadoras sexuales. Reúne "
                     "redes regionales y nacionales para defender los derechos, la salud y la autodeterminación de "
                     "las personas trabajadoras sexuales de todos los géneros.",
                     "<p>NSWP trabaja a nivel mundial y coordina el <strong>Consorcio de Redes de Personas "
                     "Trabajadoras Sexuales</strong>, creado en 2013 junto con seis redes regionales.</p><p>A "
                     "través del consorcio, NSWP apoya a las organizaciones regionales y nacionales lideradas por "
                     "personas trabajadoras sexuales para que participen en las decisiones sobre políticas y "
                     "financiación de la respuesta al VIH. Véase " + NSWP_LINK + ".</p>"),
            "ru": tr("Глобальная сеть проектов в области секс-работы",
                     "NSWP — глобальная сеть организаций, которыми руководят секс-работники. Она объединяет "
                     "региональные и национальные сети для защиты прав, здоровья и самоопределения "
                     "секс-работников всех гендеров.",
                     "<p>NSWP работает на глобальном уровне и координирует <strong>Консорциум сетей "
                     "секс-работников</strong>, созданный в 2013 году вместе с шестью региональными сетями.</p>"
                     "<p>Через консорциум NSWP помогает региональным и национальным организациям, которыми "
                     "руководят секс-работники, участвовать в принятии решений о политике и финансировании в "
                     "области ВИЧ. Подробнее: " + NSWP_LINK + ".</p>"),
            "zh-Hans": tr("性工作项目全球网络",
                          "NSWP是由性工作者主导的组织所组成的全球网络。它联合各区域和国家网络，倡导所有性别的性工作者的"
                          "权利、健康和自主。",
                          "<p>NSWP在全球层面开展工作，并协调2013年与六个区域网络共同成立的<strong>性工作者网络联盟"
                          "</strong>。</p><p>通过该联盟，NSWP支持由性工作者主导的区域和国家组织参与有关艾滋病政策和资金"
                          "的决策。详见" + NSWP_LINK + "。</p>"),
        },
    })

    orgs.append(regional("apnsw", "APNSW", "asia-pacific", "en", [
        ("en", "Asia Pacific Network of Sex Workers",
         "APNSW is the regional network of sex worker-led organisations in Asia and the Pacific, and a founding "
         "member of the Sex Worker Networks Consortium.", PUB),
        ("fr", "Réseau Asie-Pacifique des travailleurSEs du sexe",
         "L'APNSW est le réseau régional des organisations dirigées par des travailleurSEs du sexe en Asie et "
         "dans le Pacifique, et un membre fondateur du Consortium des réseaux de travailleurSEs du sexe.", PUB),
        ("zh-Hans", "亚太性工作者网络",
         "APNSW是亚洲及太平洋地区由性工作者主导的组织所组成的区域网络，也是性工作者网络联盟的创始成员。", PUB),
        ("ru", "Азиатско-Тихоокеанская сеть секс-работников",
         "APNSW — региональная сеть организаций секс-работников Азиатско-Тихоокеанского региона, один из "
         "основателей Консорциума сетей секс-работников.", DRAFT),
    ]))
    orgs.append(regional("aswa", "ASWA", "africa", "en", [
        ("en", "African Sex Workers Alliance",
         "ASWA is the regional alliance of sex worker-led organisations in Africa and one of the six regional "
         "networks in the Sex Worker Networks Consortium.", PUB),
        ("fr", "Alliance africaine des travailleurSEs du sexe",
         "L'ASWA est l'alliance régionale des organisations dirigées par des travailleurSEs du sexe en Afrique "
         "et l'un des six réseaux régionaux du Consortium des réseaux de travailleurSEs du sexe.", PUB),
        ("es", "Alianza Africana de Personas Trabajadoras Sexuales",
         "ASWA es la alianza regional de organizaciones lideradas por personas trabajadoras sexuales en África y "
         "una de las seis redes regionales del Consorcio de Redes de Personas Trabajadoras Sexuales.", PUB),
        ("ru", "Африканский альянс секс-работников",
         "ASWA — региональный альянс организаций секс-работников в Африке и одна из шести региональных сетей "
         "Консорциума сетей секс-работников.", PUB),
        ("zh-Hans", "非洲性工作者联盟",
         "ASWA是非洲由性工作者主导的组织所组成的区域联盟，也是性工作者网络联盟的六个区域网络之一。", PUB),
    ]))
    orgs.append(regional("cswc", "CSWC", "caribbean", "en", [
        ("en", "Caribbean Sex Work Coalition",
         "CSWC brings together sex worker-led organisations across the Caribbean and is one of the six regional "
         "networks in the Sex Worker Networks Consortium.", PUB),
        ("es", "Coalición Caribeña de Trabajo Sexual",
         "CSWC reúne a organizaciones lideradas por personas trabajadoras sexuales de todo el Caribe y es una de "
         "las seis redes regionales del Consorcio de Redes de Personas Trabajadoras Sexuales.", PUB),
        ("fr", "Coalition des travailleurSEs du sexe des Caraïbes",
         "La CSWC rassemble des organisations dirigées par des travailleurSEs du sexe de toute la région des "
         "Caraïbes et fait partie des six réseaux régionaux du Consortium des réseaux de travailleurSEs du "
         "sexe.", PUB),
    ]))
    orgs.append(regional("icrse", "ICRSE", "europe", "en", [
        ("en", "International Committee on the Rights of Sex Workers in Europe",
         "ICRSE is the network of sex worker-led organisations in Europe and one of the six regional networks "
         "in the Sex Worker Networks Consortium.", PUB),
        ("fr", "Comité international pour les droits des travailleurSEs du sexe en Europe",
         "L'ICRSE est le réseau européen des organisations dirigées par des travailleurSEs du sexe et l'un des "
         "six réseaux régionaux du Consortium des réseaux de travailleurSEs du sexe.", PUB),
        ("es", "Comité Internacional por los Derechos de las Personas Trabajadoras Sexuales en Europa",
         "ICRSE es la red europea de organizaciones lideradas por personas trabajadoras sexuales y una de las "
         "seis redes regionales del Consorcio de Redes de Personas Trabajadoras Sexuales.", PUB),
        ("ru", "Международный комитет по правам секс-работников в Европе",
         "ICRSE — европейская сеть организаций секс-работников, одна из шести региональных сетей Консорциума "
         "сетей секс-работников.", PUB),
    ]))
    orgs.append(regional("swan", "SWAN", "eastern-europe-central-asia", "ru", [
        ("ru", "Сеть защиты прав секс-работников",
         "SWAN — сеть защиты прав секс-работников в Центральной и Восточной Европе и Центральной Азии, одна из "
         "шести региональных сетей Консорциума сетей секс-работников.", PUB),
        ("en", "Sex Workers' Rights Advocacy Network",
         "SWAN is the sex workers' rights advocacy network for Central and Eastern Europe and Central Asia, and "
         "one of the six regional networks in the Sex Worker Networks Consortium.", PUB),
    ]))
    orgs.append(regional("plaperts", "PLAPERTS", "latin-america", "es", [
        ("es", "Plataforma Latinoamericana de Personas que Ejercen el Trabajo Sexual",
         "PLAPERTS es la plataforma latinoamericana de personas que ejercen el trabajo sexual y una de las seis "
         "redes regionales del Consorcio de Redes de Personas Trabajadoras Sexuales.", PUB),
        ("en", "Latin American Platform of People who Exercise Sex Work",
         "PLAPERTS is the Latin American platform of people who do sex work and one of the six regional "
         "networks in the Sex Worker Networks Consortium.", PUB),
        ("fr", "Plateforme latino-américaine des personnes qui exercent le travail du sexe",
         "La PLAPERTS est la plateforme latino-américaine des personnes qui exercent le travail du sexe et l'un "
         "des six réseaux régionaux du Consortium des réseaux de travailleurSEs du sexe.", PUB),
        ("ru", "Латиноамериканская платформа людей, занимающихся секс-работой",
         "PLAPERTS — латиноамериканская платформа людей, занимающихся секс-работой, одна из шести региональных "
         "сетей Консорциума сетей секс-работников.", PUB),
    ]))

    orgs.append({
        "key": "rcnf", "kind": "funder", "acronym": "RCNF", "website": None, "region": None, "parent": None,
        "source_locale": "en",
        "translations": {
            "en": tr("Robert Carr civil society Networks Fund",
                     "The Robert Carr civil society Networks Fund supports regional and global networks that work "
                     "with key populations and other groups heavily affected by HIV, helping them to meet their "
                     "needs and defend their rights.",
                     "<p>The fund finances networks of key populations and other groups that carry a heavier "
                     "burden of HIV, face higher illness and death rates than the general population, and have "
                     "less access to information and services.</p><p>It funded the Sex Worker Networks Consortium "
                     "from 2013 and again in 2016. In 2015 it joined the Global Fund in a partnership that "
                     "financed the consortium's work on Global Fund processes.</p>"),
            "fr": tr("Fonds Robert Carr pour les réseaux de la société civile",
                     "Le Robert Carr civil society Networks Fund finance des réseaux régionaux et mondiaux qui "
                     "travaillent avec les populations clés et d'autres groupes très touchés par le VIH, afin de "
                     "répondre à leurs besoins et de défendre leurs droits.",
                     "<p>Le fonds soutient des réseaux de populations clés et d'autres groupes davantage exposés "
                     "au VIH, qui connaissent une morbidité et une mortalité plus élevées que la population "
                     "générale et accèdent plus difficilement à l'information et aux services.</p><p>Il a financé "
                     "le Consortium des réseaux de travailleurSEs du sexe dès 2013, puis de nouveau en 2016. En "
                     "2015, un partenariat avec le Fonds mondial a permis de financer le travail du consortium sur "
                     "les processus du Fonds mondial.</p>"),
            "es": tr("Fondo Robert Carr para Redes de la Sociedad Civil",
                     "El Robert Carr civil society Networks Fund financia redes regionales y mundiales que trabajan "
                     "con poblaciones clave y otros grupos muy afectados por el VIH, para atender sus necesidades "
                     "y defender sus derechos.",
                     "<p>El fondo apoya a redes de poblaciones clave y de otros grupos con una mayor carga de VIH, "
                     "que sufren tasas de morbilidad y mortalidad más altas que la población general y tienen menos "
                     "acceso a la información y a los servicios.</p><p>Financió al Consorcio de Redes de Personas "
                     "Trabajadoras Sexuales desde 2013 y de nuevo en 2016. En 2015, una alianza con el Fondo "
                     "Mundial financió el trabajo del consorcio sobre los procesos del Fondo Mundial.</p>"),
            "ru": tr("Фонд Роберта Карра для сетей гражданского общества",
                     "Фонд Роберта Карра (RCNF) финансирует региональные и глобальные сети, которые работают с "
                     "ключевыми группами населения и другими группами, наиболее затронутыми ВИЧ, помогая "
                     "удовлетворять их потребности и защищать их права.",
                     "<p>Фонд поддерживает сети ключевых групп и других сообществ, которые сильнее затронуты ВИЧ, "
                     "имеют более высокие показатели заболеваемости и смертности, чем население в целом, и хуже "
                     "обеспечены информацией и услугами.</p><p>Фонд финансировал Консорциум сетей "
                     "секс-работников с 2013 года и повторно в 2016 году. В 2015 году партнёрство с Глобальным "
                     "фондом позволило профинансировать работу консорциума, связанную с процессами Глобального "
                     "фонда.</p>"),
            "zh-Hans": tr("罗伯特·卡尔民间社会网络基金",
                          "罗伯特·卡尔民间社会网络基金（RCNF）资助与关键人群及其他受艾滋病严重影响群体合作的区域和全球网络，"
                          "帮助满足他们的需求并维护他们的权利。",
                          "<p>该基金支持关键人群及其他受艾滋病影响更大的群体的网络。这些群体的发病率和死亡率高于一般人群，"
                          "获取信息和服务的机会也更少。</p><p>该基金自2013年起资助性工作者网络联盟，并于2016年再次提供"
                          "资助。2015年，它与全球基金建立伙伴关系，资助联盟围绕全球基金进程开展的工作。</p>"),
        },
    })
    orgs.append({
        "key": "global-fund", "kind": "funder", "acronym": None, "website": "https://www.theglobalfund.org",
        "region": None, "parent": None, "source_locale": "en",
        "translations": {
            "en": tr("The Global Fund to Fight AIDS, Tuberculosis and Malaria",
                     "The Global Fund finances national programmes against AIDS, tuberculosis and malaria. In 2015 "
                     "it partnered with the Robert Carr civil society Networks Fund to fund the consortium's work "
                     "on Global Fund processes.",
                     "<p>Sex worker-led organisations can take part in Global Fund processes in eligible "
                     "countries, for example in country dialogue and in the preparation of funding requests.</p>"
                     "<p>The consortium's Global Fund project helps them understand these processes and take part "
                     "in them; see <em>The Smart Sex Worker's Guide to the Global Fund</em>.</p>"),
            "fr": tr("Le Fonds mondial de lutte contre le sida, la tuberculose et le paludisme",
                     "Le Fonds mondial finance des programmes nationaux de lutte contre le sida, la tuberculose et "
                     "le paludisme. En 2015, il s'est associé au Robert Carr civil society Networks Fund pour "
                     "financer le travail du consortium sur ses processus.",
                     "<p>Dans les pays qui peuvent recevoir ses financements, les organisations dirigées par des "
                     "travailleurSEs du sexe ont la possibilité de prendre part aux processus du Fonds mondial, par "
                     "exemple au dialogue pays et à la préparation des demandes de financement.</p><p>Le projet du consortium consacré au Fonds "
                     "mondial les aide à comprendre ces processus et à y prendre part ; voir le <em>Guide futé des "
                     "travailleurSEs du sexe sur le Fonds mondial</em>.</p>"),
            "es": tr("El Fondo Mundial de Lucha contra el SIDA, la Tuberculosis y la Malaria",
                     "El Fondo Mundial financia programas nacionales contra el sida, la tuberculosis y la malaria. "
                     "En 2015 se asoció con el Robert Carr civil society Networks Fund para financiar el trabajo "
                     "del consorcio sobre sus procesos.",
                     "<p>Las organizaciones lideradas por personas trabajadoras sexuales pueden participar en los "
                     "procesos del Fondo Mundial en los países elegibles, por ejemplo en el diálogo de país y en la "
                     "preparación de las solicitudes de financiamiento.</p><p>El proyecto del consorcio sobre el "
                     "Fondo Mundial les ayuda a comprender estos procesos y a participar en ellos; véase la "
                     "<em>Guía inteligente del Fondo Mundial para personas trabajadoras sexuales</em>.</p>"),
            "ru": tr("Глобальный фонд для борьбы со СПИДом, туберкулезом и малярией",
                     "Глобальный фонд финансирует национальные программы по борьбе со СПИДом, туберкулезом и "
                     "малярией. В 2015 году он вместе с Фондом Роберта Карра профинансировал работу консорциума, "
                     "связанную с процессами Глобального фонда.",
                     "<p>Организации секс-работников могут участвовать в процессах Глобального фонда в странах, "
                     "имеющих право на его поддержку, например в страновом диалоге и в подготовке заявок на "
                     "финансирование.</p><p>Проект консорциума, посвящённый Глобальному фонду, помогает им "
                     "разобраться в этих процессах и принять в них участие; см. <em>«Умное руководство "
                     "секс-работника по Глобальному фонду»</em>.</p>"),
            "zh-Hans": tr("全球抗击艾滋病、结核病和疟疾基金",
                          "全球基金为各国抗击艾滋病、结核病和疟疾的项目提供资金。2015年，它与罗伯特·卡尔民间社会网络基金"
                          "合作，资助联盟围绕全球基金进程开展的工作。",
                          "<p>在符合资格的国家，由性工作者主导的组织可以参与全球基金的各项进程，例如国家对话和资金申请的"
                          "准备。</p><p>联盟的全球基金项目帮助她们了解并参与这些进程；参见<em>《性工作者全球基金智慧指南》"
                          "</em>。</p>"),
        },
    })
    return orgs


# ---------------------------------------------------------------------------------------------
# Programmes
# ---------------------------------------------------------------------------------------------

def build_programmes():
    p1 = {
        "key": "rcnf-consortium", "start_year": 2013, "end_year": None, "funders": ["rcnf"],
        "source_locale": "fr",
        "translations": {
            "fr": tr("Consortium des réseaux de travailleurSEs du sexe : des ripostes au VIH fondées sur les droits",
                     "Depuis 2013, le NSWP et six réseaux régionaux de travailleurSEs du sexe mènent ensemble ce "
                     "programme, financé par le Robert Carr civil society Networks Fund et reconduit en 2016.",
                     "<p>Le programme poursuit trois objectifs :</p><ul>"
                     "<li><strong>Influencer les politiques.</strong> Renforcer les réseaux et organisations dirigés "
                     "par des travailleurSEs du sexe pour qu'ils pèsent sur les politiques et les programmes "
                     "régionaux et nationaux : programmes communautaires complets respectueux des droits, accès à "
                     "la justice, lutte contre la criminalisation, fin de la violence, de la stigmatisation et de "
                     "la discrimination envers les travailleurSEs du sexe de tous les genres. Le déploiement de "
                     "l'Outil de mise en œuvre pour les travailleurSEs du sexe (SWIT) sert de cadre à ce "
                     "travail.</li>"
                     "<li><strong>Participer aux décisions.</strong> Associer davantage les travailleurSEs du sexe à "
                     "la conception et à la mise en œuvre des politiques nationales et internationales, grâce à "
                     "des outils de plaidoyer et à des espaces d'échange où circulent les bonnes pratiques.</li>"
                     "<li><strong>Renforcer les organisations.</strong> Consolider les capacités aux niveaux "
                     "national, régional et mondial par l'assistance technique, les échanges entre les régions et "
                     "au sein de chacune d'elles, et la coopération Sud-Sud.</li></ul>"),
            "en": tr("Sex Worker Networks Consortium: rights-based HIV responses",
                     "Since 2013, NSWP and six regional sex worker networks have run this programme together. It is "
                     "funded by the Robert Carr civil society Networks Fund, which renewed its support in 2016.",
                     "<p>The programme pursues three objectives:</p><ul>"
                     "<li><strong>Influencing policy.</strong> Strengthen sex worker-led networks and organisations "
                     "so that they can shape regional and national policies and programmes: comprehensive, "
                     "rights-based community programmes, access to justice, challenging criminalisation, and "
                     "ending violence, stigma and discrimination against sex workers of all genders. The roll-out "
                     "of the Sex Worker Implementation Tool (SWIT) frames this work.</li>"
                     "<li><strong>Taking part in decisions.</strong> Involve sex workers more in designing and "
                     "implementing national and international policies, through advocacy tools and communication "
                     "platforms for sharing information and good practice.</li>"
                     "<li><strong>Stronger organisations.</strong> Build organisational capacity at national, "
                     "regional and global level through technical support, exchanges between and within regions, "
                     "and South-to-South cooperation.</li></ul>"),
            "es": tr("Consorcio de Redes de Personas Trabajadoras Sexuales: respuestas al VIH basadas en los derechos",
                     "Desde 2013, NSWP y seis redes regionales de personas trabajadoras sexuales llevan a cabo "
                     "juntas este programa, financiado por el Robert Carr civil society Networks Fund, que renovó "
                     "su apoyo en 2016.",
                     "<p>El programa persigue tres objetivos:</p><ul>"
                     "<li><strong>Incidir en las políticas.</strong> Fortalecer las redes y organizaciones "
                     "lideradas por personas trabajadoras sexuales para que influyan en las políticas y programas "
                     "regionales y nacionales: programas comunitarios integrales basados en los derechos, acceso a "
                     "la justicia, lucha contra la criminalización y fin de la violencia, el estigma y la "
                     "discriminación contra las personas trabajadoras sexuales de todos los géneros. La puesta en "
                     "práctica de la herramienta SWIT (Sex Worker Implementation Tool) enmarca este trabajo.</li>"
                     "<li><strong>Participar en las decisiones.</strong> Lograr una mayor participación de las "
                     "personas trabajadoras sexuales en el diseño y la aplicación de las políticas nacionales e "
                     "internacionales, mediante herramientas de incidencia y plataformas de comunicación para "
                     "compartir información y buenas prácticas.</li>"
                     "<li><strong>Organizaciones más fuertes.</strong> Desarrollar la capacidad organizativa a "
                     "nivel nacional, regional y mundial mediante asistencia técnica, intercambios entre regiones "
                     "y dentro de ellas, y cooperación Sur-Sur.</li></ul>"),
            "ru": tr("Консорциум сетей секс-работников: правозащитные подходы к противодействию ВИЧ",
                     "С 2013 года NSWP и шесть региональных сетей секс-работников совместно реализуют эту "
                     "программу. Её финансирует Фонд Роберта Карра для сетей гражданского общества, который "
                     "продлил поддержку в 2016 году.",
                     "<p>Программа преследует три цели:</p><ul>"
                     "<li><strong>Влияние на политику.</strong> Укреплять сети и организации секс-работников, "
                     "чтобы они могли влиять на региональную и национальную политику и программы: комплексные "
                     "программы на уровне сообществ, основанные на правах человека, доступ к правосудию, "
                     "противодействие криминализации, прекращение насилия, стигмы и дискриминации в отношении "
                     "секс-работников всех гендеров. Основой этой работы служит внедрение инструмента SWIT (Sex "
                     "Worker Implementation Tool).</li>"
                     "<li><strong>Участие в принятии решений.</strong> Расширять участие секс-работников в "
                     "разработке и реализации национальной и международной политики с помощью инструментов "
                     "адвокации и коммуникационных платформ для обмена информацией и успешным опытом.</li>"
                     "<li><strong>Сильные организации.</strong> Развивать организационный потенциал на "
                     "национальном, региональном и глобальном уровнях за счёт технической помощи, обменов между "
                     "регионами и внутри них, а также сотрудничества по линии Юг — Юг.</li></ul>"),
            "zh-Hans": tr("性工作者网络联盟：以权利为本的艾滋病应对",
                          "自2013年起，NSWP与六个区域性工作者网络共同实施该项目。项目由罗伯特·卡尔民间社会网络基金资助，"
                          "该基金于2016年续期资助。",
                          "<p>该项目有三项目标：</p><ul>"
                          "<li><strong>影响政策。</strong>加强由性工作者主导的网络和组织，使其能够影响区域和国家层面的政策"
                          "与项目：以权利为本的综合性社区项目、诉诸司法、反对刑事定罪，以及终止针对所有性别性工作者的暴力、"
                          "污名和歧视。推广性工作者实施工具（SWIT）是这项工作的框架。</li>"
                          "<li><strong>参与决策。</strong>通过倡导工具和交流平台分享信息与良好做法，使性工作者更多地参与"
                          "国家和国际政策的制定与实施。</li>"
                          "<li><strong>加强组织。</strong>通过技术援助、区域间和区域内交流以及南南合作，提升国家、区域和"
                          "全球层面的组织能力。</li></ul>"),
        },
    }
    p2 = {
        "key": "global-fund-consortium", "start_year": 2015, "end_year": None, "funders": ["rcnf", "global-fund"],
        "source_locale": "en",
        "translations": {
            "en": tr("Sex Worker Networks Consortium: making the most of the Global Fund",
                     "Since 2015, a partnership between the Global Fund and the Robert Carr civil society Networks "
                     "Fund has funded the consortium to help sex worker-led organisations understand and take part "
                     "in Global Fund processes in eligible countries.",
                     "<p>The project builds the capacity of sex worker-led networks and organisations through three "
                     "strands of work:</p><ul>"
                     "<li>writing and regularly updating <em>The Smart Sex Worker's Guide to the Global Fund</em> "
                     "as a resource for NSWP members;</li>"
                     "<li>holding a global workshop, then training and mentoring regional community experts who "
                     "facilitate regional workshops and support national community experts;</li>"
                     "<li>organising regional workshops and giving long-term support to national community experts "
                     "as they develop and implement national action plans.</li></ul>"
                     "<p>Progress is documented in quarterly reports.</p>"),
            "fr": tr("Consortium des réseaux de travailleurSEs du sexe : tirer le meilleur parti du Fonds mondial",
                     "Depuis 2015, le Fonds mondial et le Robert Carr civil society Networks Fund financent "
                     "conjointement ce projet, qui aide les organisations dirigées par des travailleurSEs du sexe à "
                     "s'approprier les processus du Fonds mondial, là où le pays peut en bénéficier, et à y prendre "
                     "part.",
                     "<p>Le projet renforce les capacités des réseaux et organisations dirigés par des "
                     "travailleurSEs du sexe selon trois axes :</p><ul>"
                     "<li>la rédaction et la mise à jour régulière du <em>Guide futé des travailleurSEs du sexe sur "
                     "le Fonds mondial</em>, ressource destinée aux membres du NSWP ;</li>"
                     "<li>un atelier mondial, suivi de la formation et du tutorat d'expertEs communautaires "
                     "régionaux qui animent les ateliers régionaux et épaulent les expertEs communautaires "
                     "nationaux ;</li>"
                     "<li>des ateliers régionaux et un accompagnement durable des expertEs communautaires nationaux "
                     "qui élaborent et mettent en œuvre les plans d'action nationaux.</li></ul>"
                     "<p>Les rapports trimestriels rendent compte de l'avancement.</p>"),
            "es": tr("Consorcio de Redes de Personas Trabajadoras Sexuales: aprovechar al máximo el Fondo Mundial",
                     "Desde 2015, una alianza entre el Fondo Mundial y el Robert Carr civil society Networks Fund "
                     "financia al consorcio para ayudar a las organizaciones lideradas por personas trabajadoras "
                     "sexuales a comprender los procesos del Fondo Mundial en los países elegibles y a participar "
                     "en ellos.",
                     "<p>El proyecto fortalece la capacidad de las redes y organizaciones lideradas por personas "
                     "trabajadoras sexuales mediante tres líneas de trabajo:</p><ul>"
                     "<li>la redacción y actualización periódica de la <em>Guía inteligente del Fondo Mundial para "
                     "personas trabajadoras sexuales</em>, un recurso para las organizaciones miembros de "
                     "NSWP;</li>"
                     "<li>un taller mundial, seguido de la formación y la mentoría de personas expertas "
                     "comunitarias regionales que facilitan los talleres regionales y apoyan a las personas "
                     "expertas comunitarias nacionales;</li>"
                     "<li>talleres regionales y un acompañamiento a largo plazo de las personas expertas "
                     "comunitarias nacionales que elaboran y aplican los planes de acción nacionales.</li></ul>"
                     "<p>Los avances se recogen en informes trimestrales.</p>"),
            "ru": tr("Консорциум сетей секс-работников: максимально эффективное участие в работе Глобального фонда",
                     "С 2015 года партнёрство Глобального фонда и Фонда Роберта Карра финансирует работу "
                     "консорциума, которая помогает организациям секс-работников понимать процессы Глобального "
                     "фонда в странах, имеющих право на его поддержку, и участвовать в них.",
                     "<p>Проект укрепляет потенциал сетей и организаций секс-работников по трём направлениям:</p>"
                     "<ul><li>подготовка и регулярное обновление <em>«Умного руководства секс-работника по "
                     "Глобальному фонду»</em> — ресурса для членов NSWP;</li>"
                     "<li>глобальный семинар, а затем обучение и наставничество региональных экспертов из "
                     "сообщества, которые проводят региональные семинары и поддерживают национальных "
                     "экспертов;</li>"
                     "<li>региональные семинары и долгосрочная поддержка национальных экспертов из сообщества в "
                     "разработке и выполнении национальных планов действий.</li></ul>"
                     "<p>Ход работы отражается в ежеквартальных отчётах.</p>"),
            "zh-Hans": tr("性工作者网络联盟：充分利用全球基金",
                          "自2015年起，全球基金与罗伯特·卡尔民间社会网络基金的伙伴关系资助该联盟，帮助由性工作者主导的"
                          "组织了解并参与符合资格国家的全球基金进程。",
                          "<p>该项目通过三个工作方向加强由性工作者主导的网络和组织的能力：</p><ul>"
                          "<li>编写并定期更新<em>《性工作者全球基金智慧指南》</em>，作为NSWP成员的参考资源；</li>"
                          "<li>举办一次全球研讨会，随后培训并长期指导区域社区专家，由他们主持区域研讨会并支持国家社区"
                          "专家；</li>"
                          "<li>举办区域研讨会，并长期支持国家社区专家制定和实施国家行动计划。</li></ul>"
                          "<p>进展情况见季度报告。</p>"),
        },
    }
    return [p1, p2]


# ---------------------------------------------------------------------------------------------
# Resources about the consortium (hand-written)
# ---------------------------------------------------------------------------------------------

def res(key, kind, published_on, regions, countries, topics, organizations, programme, source, translations):
    return {"key": key, "kind": kind, "published_on": published_on, "regions": regions,
            "countries": countries, "topics": topics,
            "organizations": [{"key": k, "role": r} for k, r in organizations],
            "programme": programme, "source_locale": source, "translations": translations}


QUARTERS = {
    "en": ["January–March 2016", "April–June 2016", "July–September 2016", "October–December 2016"],
    "fr": ["janvier–mars 2016", "avril–juin 2016", "juillet–septembre 2016", "octobre–décembre 2016"],
    "es": ["enero–marzo de 2016", "abril–junio de 2016", "julio–septiembre de 2016", "octubre–diciembre de 2016"],
    "ru": ["январь–март 2016 года", "апрель–июнь 2016 года", "июль–сентябрь 2016 года",
           "октябрь–декабрь 2016 года"],
    "zh-Hans": ["2016年1月至3月", "2016年4月至6月", "2016年7月至9月", "2016年10月至12月"],
}


def quarterly(q, locale, status=PUB):
    p = QUARTERS[locale][q]
    if locale == "en":
        return tr(f"Global Fund project quarterly report: {p}",
                  f"Progress of the consortium's Global Fund project in {p}.",
                  f"<p>This report covers the consortium's Global Fund project for {p}. It reviews progress on "
                  "each strand of work:</p><ul><li><em>The Smart Sex Worker's Guide to the Global Fund</em>;</li>"
                  "<li>training and mentoring of regional community experts;</li>"
                  "<li>regional workshops and support for national action plans.</li></ul>", status)
    if locale == "fr":
        return tr(f"Rapport trimestriel du projet Fonds mondial : {p}",
                  f"Avancement du projet Fonds mondial du consortium pour la période {p}.",
                  f"<p>Ce rapport porte sur le projet Fonds mondial du consortium pour la période {p}. Il fait le "
                  "point sur chaque axe de travail :</p><ul><li>le <em>Guide futé des travailleurSEs du sexe sur "
                  "le Fonds mondial</em> ;</li><li>la formation et le tutorat des expertEs communautaires "
                  "régionaux ;</li><li>les ateliers régionaux et l'appui aux plans d'action nationaux.</li></ul>",
                  status)
    if locale == "es":
        return tr(f"Informe trimestral del proyecto Fondo Mundial: {p}",
                  f"Avances del proyecto del consorcio sobre el Fondo Mundial en {p}.",
                  f"<p>Este informe abarca el proyecto del consorcio sobre el Fondo Mundial durante {p}. Repasa "
                  "los avances en cada línea de trabajo:</p><ul><li>la <em>Guía inteligente del Fondo Mundial "
                  "para personas trabajadoras sexuales</em>;</li><li>la formación y mentoría de personas expertas "
                  "comunitarias regionales;</li><li>los talleres regionales y el apoyo a los planes de acción "
                  "nacionales.</li></ul>", status)
    if locale == "ru":
        return tr(f"Ежеквартальный отчёт по проекту Глобального фонда: {p}",
                  f"Ход реализации проекта консорциума, связанного с Глобальным фондом, за {p}.",
                  f"<p>Отчёт охватывает проект консорциума, связанный с Глобальным фондом, за {p}. В нём "
                  "рассматривается ход работы по каждому направлению:</p><ul><li><em>«Умное руководство "
                  "секс-работника по Глобальному фонду»</em>;</li><li>обучение и наставничество региональных "
                  "экспертов из сообщества;</li><li>региональные семинары и поддержка национальных планов "
                  "действий.</li></ul>", status)
    if locale == "zh-Hans":
        return tr(f"全球基金项目季度报告：{p}",
                  f"联盟全球基金项目{p}的进展。",
                  f"<p>本报告涵盖联盟全球基金项目{p}的工作，回顾各工作方向的进展：</p><ul><li><em>《性工作者全球基金"
                  "智慧指南》</em>；</li><li>区域社区专家的培训和指导；</li><li>区域研讨会以及对国家行动计划的支持。"
                  "</li></ul>", status)
    raise ValueError(locale)


def build_consortium_resources():
    out = []
    out.append(res(
        "swit", "advocacy_tool", "2015-05-01", ["global"], [],
        ["hiv", "human-rights", "community-empowerment", "health-services"],
        [("nswp", "publisher")], "rcnf-consortium", "en", {
            "en": tr("Sex Worker Implementation Tool (SWIT)",
                     "The SWIT gives practical guidance on putting in place HIV and STI programmes with sex "
                     "workers that are led by the community and respect human rights.",
                     "<p>The SWIT explains how to run comprehensive HIV and STI programmes with sex workers in "
                     "which communities lead and rights are respected. It covers:</p><ul>"
                     "<li>community empowerment as the basis of the response;</li>"
                     "<li>addressing violence against sex workers;</li>"
                     "<li>community-led services and accessible health services;</li>"
                     "<li>managing programmes and building the capacity of sex worker organisations.</li></ul>"
                     "<p>The consortium supports its roll-out with regional and national sex worker-led "
                     "organisations.</p>"),
            "fr": tr("Outil de mise en œuvre pour les travailleurSEs du sexe (SWIT)",
                     "Le SWIT propose des conseils pratiques pour mettre en place, avec les travailleurSEs du sexe, "
                     "des programmes VIH et IST dirigés par la communauté et respectueux des droits humains.",
                     "<p>Le SWIT explique comment conduire des programmes complets de lutte contre le VIH et les "
                     "IST avec les travailleurSEs du sexe, sous la direction de la communauté et dans le respect "
                     "des droits. Il aborde :</p><ul>"
                     "<li>l'autonomisation communautaire comme fondement de la riposte ;</li>"
                     "<li>la lutte contre la violence envers les travailleurSEs du sexe ;</li>"
                     "<li>des services dirigés par la communauté et des services de santé accessibles ;</li>"
                     "<li>la gestion des programmes et le renforcement des organisations de travailleurSEs du "
                     "sexe.</li></ul><p>Le consortium accompagne son déploiement auprès des organisations "
                     "régionales et nationales dirigées par des travailleurSEs du sexe.</p>"),
            "es": tr("Herramienta de implementación con personas trabajadoras sexuales (SWIT)",
                     "La SWIT ofrece orientación práctica para poner en marcha, junto con las personas "
                     "trabajadoras sexuales, programas de VIH e ITS liderados por la comunidad y respetuosos de los "
                     "derechos humanos.",
                     "<p>La SWIT explica cómo desarrollar programas integrales de VIH e ITS con personas "
                     "trabajadoras sexuales, liderados por la comunidad y basados en el respeto de los derechos. "
                     "Aborda:</p><ul>"
                     "<li>el empoderamiento comunitario como base de la respuesta;</li>"
                     "<li>la respuesta a la violencia contra las personas trabajadoras sexuales;</li>"
                     "<li>servicios liderados por la comunidad y servicios de salud accesibles;</li>"
                     "<li>la gestión de programas y el fortalecimiento de las organizaciones de personas "
                     "trabajadoras sexuales.</li></ul><p>El consorcio apoya su puesta en práctica con "
                     "organizaciones regionales y nacionales lideradas por personas trabajadoras sexuales.</p>"),
            "ru": tr("Инструмент внедрения программ с участием секс-работников (SWIT)",
                     "SWIT содержит практические рекомендации по организации программ в области ВИЧ и ИППП вместе "
                     "с секс-работниками — программ, которые ведёт сообщество и которые уважают права человека.",
                     "<p>SWIT объясняет, как проводить комплексные программы по ВИЧ и ИППП с секс-работниками под "
                     "руководством сообщества и с соблюдением прав человека. В нём рассматриваются:</p><ul>"
                     "<li>расширение прав и возможностей сообщества как основа ответных мер;</li>"
                     "<li>противодействие насилию в отношении секс-работников;</li>"
                     "<li>услуги, предоставляемые сообществом, и доступные медицинские услуги;</li>"
                     "<li>управление программами и укрепление организаций секс-работников.</li></ul>"
                     "<p>Консорциум поддерживает его внедрение региональными и национальными организациями "
                     "секс-работников.</p>"),
            "zh-Hans": tr("性工作者实施工具（SWIT）",
                          "SWIT为与性工作者共同开展由社区主导、尊重人权的艾滋病和性传播感染项目提供实用指导。",
                          "<p>SWIT说明如何与性工作者一起开展由社区主导、尊重权利的综合性艾滋病和性传播感染项目。内容包括："
                          "</p><ul><li>以社区赋权作为应对工作的基础；</li><li>应对针对性工作者的暴力；</li>"
                          "<li>社区主导的服务和便于获得的卫生服务；</li><li>项目管理以及加强性工作者组织的能力。</li>"
                          "</ul><p>联盟支持区域和国家性工作者主导的组织推广使用该工具。</p>"),
        }))

    out.append(res(
        "smart-guide-global-fund", "guide", "2016-03-01", ["global"], [],
        ["global-fund", "funding", "community-empowerment"],
        [("nswp", "publisher")], "global-fund-consortium", "en", {
            "en": tr("The Smart Sex Worker's Guide to the Global Fund",
                     "A plain-language guide for NSWP members on how the Global Fund works and where sex "
                     "worker-led organisations can take part in its processes.",
                     "<p>The guide is a reference for NSWP members who want to engage with the Global Fund in "
                     "eligible countries. It explains:</p><ul><li>how Global Fund money reaches countries;</li>"
                     "<li>the national bodies and stages where decisions are made;</li>"
                     "<li>how sex worker-led organisations can take part and make their priorities heard.</li>"
                     "</ul><p>It is updated as the Global Fund's processes change.</p>"),
            "fr": tr("Guide futé des travailleurSEs du sexe sur le Fonds mondial",
                     "Un guide accessible destiné aux membres du NSWP, qui explique le fonctionnement du Fonds "
                     "mondial et les moments où les organisations dirigées par des travailleurSEs du sexe peuvent "
                     "intervenir dans ses processus.",
                     "<p>Ce guide sert de référence aux membres du NSWP qui souhaitent s'impliquer auprès du Fonds "
                     "mondial dans les pays éligibles. Il présente :</p><ul><li>le parcours des financements du "
                     "Fonds mondial jusqu'aux pays ;</li><li>les instances nationales et les étapes où se prennent "
                     "les décisions ;</li><li>les moyens pour les organisations dirigées par des travailleurSEs du "
                     "sexe d'y participer et de faire entendre leurs priorités.</li></ul><p>Il est mis à jour au "
                     "fil de l'évolution des processus du Fonds mondial.</p>"),
            "es": tr("Guía inteligente del Fondo Mundial para personas trabajadoras sexuales",
                     "Una guía en lenguaje sencillo para las organizaciones miembros de NSWP sobre el "
                     "funcionamiento del Fondo Mundial y los espacios en los que las organizaciones lideradas por "
                     "personas trabajadoras sexuales pueden participar.",
                     "<p>La guía es una referencia para las organizaciones miembros de NSWP que quieren "
                     "involucrarse con el Fondo Mundial en los países elegibles. Explica:</p><ul><li>cómo llegan "
                     "los fondos del Fondo Mundial a los países;</li><li>las instancias nacionales y las etapas en "
                     "las que se toman las decisiones;</li><li>cómo pueden participar las organizaciones lideradas "
                     "por personas trabajadoras sexuales y hacer oír sus prioridades.</li></ul><p>Se actualiza a "
                     "medida que cambian los procesos del Fondo Mundial.</p>"),
            "ru": tr("Умное руководство секс-работника по Глобальному фонду",
                     "Доступное руководство для членов NSWP о том, как работает Глобальный фонд и на каких этапах "
                     "организации секс-работников могут участвовать в его процессах.",
                     "<p>Руководство предназначено для членов NSWP, которые хотят взаимодействовать с Глобальным "
                     "фондом в странах, имеющих право на его поддержку. В нём рассказывается:</p><ul><li>как "
                     "средства Глобального фонда поступают в страны;</li><li>какие национальные органы и на каких "
                     "этапах принимают решения;</li><li>как организации секс-работников могут участвовать в этих "
                     "процессах и отстаивать свои приоритеты.</li></ul><p>Руководство обновляется по мере "
                     "изменения процедур Глобального фонда.</p>"),
            "zh-Hans": tr("性工作者全球基金智慧指南",
                          "一本面向NSWP成员的通俗指南，介绍全球基金如何运作，以及由性工作者主导的组织可以在哪些环节参与其"
                          "进程。",
                          "<p>本指南供希望在符合资格国家参与全球基金工作的NSWP成员参考。内容包括：</p><ul><li>全球基金的"
                          "资金如何到达各国；</li><li>作出决策的国家机构和各个阶段；</li><li>由性工作者主导的组织如何参与"
                          "其中并表达自身的优先事项。</li></ul><p>指南会随着全球基金流程的变化而更新。</p>"),
        }))

    # Quarterly reports for 2016: Q1 complete, Q2 en+fr, Q3 en+fr (+ru in review), Q4 French only.
    q_dates = ["2016-04-15", "2016-07-15", "2016-10-14", "2017-01-16"]
    q_locales = [
        ("en", [(l, PUB) for l in CONFIGURED]),
        ("en", [("en", PUB), ("fr", PUB)]),
        ("en", [("en", PUB), ("fr", PUB), ("ru", REVIEW)]),
        ("fr", [("fr", PUB)]),
    ]
    for q in range(4):
        source, locs = q_locales[q]
        out.append(res(
            f"quarterly-report-2016-q{q + 1}", "report", q_dates[q], ["global"], [], ["global-fund", "funding"],
            [("nswp", "publisher")], "global-fund-consortium", source,
            {loc: quarterly(q, loc, st) for loc, st in locs}))

    out.append(res(
        "global-workshop-report", "report", "2016-02-01", ["global"], [], ["global-fund", "community-empowerment"],
        [("nswp", "publisher")], "global-fund-consortium", "en", {
            "en": tr("Report of the global workshop on the Global Fund",
                     "Report of the consortium's global workshop, which prepared regional community experts to "
                     "support sex worker-led organisations in Global Fund processes.",
                     "<p>The global workshop opened the consortium's Global Fund project. It brought together "
                     "people from the regional networks who would go on to act as regional community experts.</p>"
                     "<p>The report describes the topics covered, from the basics of Global Fund processes to the "
                     "role of community experts in facilitating regional workshops and supporting national action "
                     "plans.</p>"),
            "fr": tr("Rapport de l'atelier mondial sur le Fonds mondial",
                     "Rapport de l'atelier mondial du consortium, qui a préparé les expertEs communautaires "
                     "régionaux à accompagner les organisations dirigées par des travailleurSEs du sexe dans les "
                     "processus du Fonds mondial.",
                     "<p>L'atelier mondial a lancé le projet Fonds mondial du consortium. Il a réuni des "
                     "représentantEs des réseaux régionaux appeléEs à devenir expertEs communautaires "
                     "régionaux.</p><p>Le rapport présente les thèmes abordés, des bases des processus du Fonds "
                     "mondial jusqu'au rôle des expertEs communautaires dans l'animation des ateliers régionaux et "
                     "l'appui aux plans d'action nationaux.</p>"),
            "es": tr("Informe del taller mundial sobre el Fondo Mundial",
                     "Informe del taller mundial del consorcio, que preparó a las personas expertas comunitarias "
                     "regionales para acompañar a las organizaciones lideradas por personas trabajadoras sexuales "
                     "en los procesos del Fondo Mundial.",
                     "<p>El taller mundial dio inicio al proyecto del consorcio sobre el Fondo Mundial. Reunió a "
                     "representantes de las redes regionales que luego actuarían como personas expertas "
                     "comunitarias regionales.</p><p>El informe presenta los temas tratados, desde los fundamentos "
                     "de los procesos del Fondo Mundial hasta el papel de las personas expertas comunitarias en la "
                     "facilitación de talleres regionales y el apoyo a los planes de acción nacionales.</p>"),
            "ru": tr("Отчёт о глобальном семинаре по Глобальному фонду",
                     "Отчёт о глобальном семинаре консорциума, на котором региональные эксперты из сообщества "
                     "готовились поддерживать организации секс-работников в процессах Глобального фонда.",
                     "<p>Глобальный семинар открыл проект консорциума, связанный с Глобальным фондом. В нём "
                     "участвовали представители региональных сетей, которым предстояло стать региональными "
                     "экспертами из сообщества.</p><p>В отчёте описаны рассмотренные темы — от основ процессов "
                     "Глобального фонда до роли экспертов из сообщества в проведении региональных семинаров и "
                     "поддержке национальных планов действий.</p>"),
            "zh-Hans": tr("全球基金全球研讨会报告",
                          "联盟全球研讨会的报告。该研讨会帮助区域社区专家做好准备，支持由性工作者主导的组织参与全球基金"
                          "进程。", "", DRAFT),
        }))

    out.append(res(
        "regional-workshop-africa", "report", "2016-06-01", ["africa"], [], ["global-fund", "community-empowerment"],
        [("aswa", "author"), ("nswp", "publisher")], "global-fund-consortium", "en", {
            "en": tr("Regional workshop report: Global Fund processes in Africa",
                     "Report of the regional workshop where ASWA and the consortium's community experts worked with "
                     "sex worker-led organisations from African countries on Global Fund processes.",
                     "<p>The workshop, facilitated by regional community experts, helped participants from sex "
                     "worker-led organisations understand how the Global Fund works in their countries.</p>"
                     "<p>Participants began preparing national action plans for engaging in Global Fund "
                     "processes, with continued support from national community experts after the "
                     "workshop.</p>"),
            "fr": tr("Rapport d'atelier régional : les processus du Fonds mondial en Afrique",
                     "Rapport de l'atelier régional au cours duquel l'ASWA et les expertEs communautaires du "
                     "consortium ont travaillé avec des organisations de travailleurSEs du sexe de pays africains "
                     "sur les processus du Fonds mondial.",
                     "<p>Animé par des expertEs communautaires régionaux, l'atelier a aidé les participantEs issuEs "
                     "d'organisations dirigées par des travailleurSEs du sexe à comprendre le fonctionnement du "
                     "Fonds mondial dans leur pays.</p><p>Les participantEs ont commencé à préparer des plans "
                     "d'action nationaux pour s'impliquer dans les processus du Fonds mondial, avec l'appui continu "
                     "d'expertEs communautaires nationaux après l'atelier.</p>"),
        }))

    out.append(res(
        "regional-workshop-latin-america", "report", "2016-09-01", ["latin-america"], [],
        ["global-fund", "community-empowerment"],
        [("plaperts", "author"), ("nswp", "publisher")], "global-fund-consortium", "es", {
            "es": tr("Informe del taller regional sobre los procesos del Fondo Mundial en América Latina",
                     "Informe del taller regional en el que PLAPERTS y las personas expertas comunitarias del "
                     "consorcio trabajaron con organizaciones de personas trabajadoras sexuales de América Latina "
                     "sobre los procesos del Fondo Mundial.",
                     "<p>El taller, facilitado por personas expertas comunitarias regionales, ayudó a las "
                     "organizaciones participantes a entender cómo funciona el Fondo Mundial en sus países y dónde "
                     "pueden intervenir.</p><p>Cada delegación empezó a preparar un plan de acción nacional, con el "
                     "acompañamiento posterior de personas expertas comunitarias nacionales.</p>"),
            "en": tr("Regional workshop report: Global Fund processes in Latin America",
                     "Report of the regional workshop where PLAPERTS and the consortium's community experts worked "
                     "with sex worker-led organisations from Latin America on Global Fund processes.", "", DRAFT),
        }))

    out.append(res(
        "regional-workshop-eeca", "report", "2016-11-01", ["eastern-europe-central-asia"], [],
        ["global-fund", "community-empowerment"],
        [("swan", "author"), ("nswp", "publisher")], "global-fund-consortium", "ru", {
            "ru": tr("Отчёт о региональном семинаре по процессам Глобального фонда в Восточной Европе и Центральной Азии",
                     "Отчёт о региональном семинаре, на котором SWAN и эксперты консорциума из сообщества работали "
                     "с организациями секс-работников региона над вопросами участия в процессах Глобального "
                     "фонда.",
                     "<p>Семинар проводили региональные эксперты из сообщества. Участники разбирались, как "
                     "Глобальный фонд работает в их странах и на каких этапах сообщество может влиять на "
                     "решения.</p><p>По итогам семинара участники начали готовить национальные планы действий при "
                     "поддержке национальных экспертов из сообщества.</p>"),
            "en": tr("Regional workshop report: Global Fund processes in Eastern Europe and Central Asia",
                     "Report of the regional workshop where SWAN and the consortium's community experts worked with "
                     "sex worker-led organisations from the region on taking part in Global Fund processes.",
                     "<p>The workshop was run by regional community experts. Participants looked at how the Global "
                     "Fund works in their countries and at the stages where communities can influence "
                     "decisions.</p><p>Afterwards, participants started drafting national action plans with "
                     "support from national community experts.</p>"),
        }))

    out.append(res(
        "regional-workshop-asia-pacific", "report", "2017-02-01", ["asia-pacific"], [],
        ["global-fund", "community-empowerment"],
        [("apnsw", "author"), ("nswp", "publisher")], "global-fund-consortium", "en", {
            "en": tr("Regional workshop report: Global Fund processes in Asia and the Pacific",
                     "Report of the regional workshop where APNSW and the consortium's community experts worked "
                     "with sex worker-led organisations from Asia and the Pacific on Global Fund processes.",
                     "<p>Regional community experts facilitated the workshop and introduced the stages of Global "
                     "Fund processes at country level.</p><p>Participants identified where their organisations "
                     "could take part and began outlining national action plans, to be followed up by national "
                     "community experts.</p>"),
            "fr": tr("Rapport d'atelier régional : les processus du Fonds mondial en Asie et dans le Pacifique",
                     "Rapport de l'atelier régional au cours duquel l'APNSW et les expertEs communautaires du "
                     "consortium ont travaillé avec des organisations de travailleurSEs du sexe d'Asie et du "
                     "Pacifique sur les processus du Fonds mondial.",
                     "<p>Des expertEs communautaires régionaux ont animé l'atelier et présenté les étapes des "
                     "processus du Fonds mondial au niveau des pays.</p><p>Les participantEs ont repéré les moments "
                     "où leurs organisations pouvaient intervenir et ont commencé à esquisser des plans d'action "
                     "nationaux, dont le suivi est assuré par des expertEs communautaires nationaux.</p>"),
            "zh-Hans": tr("区域研讨会报告：亚洲及太平洋地区的全球基金进程",
                          "APNSW和联盟社区专家与亚洲及太平洋地区由性工作者主导的组织围绕全球基金进程开展合作的区域研讨会"
                          "报告。",
                          "<p>区域社区专家主持了研讨会，介绍了全球基金在国家层面的各个进程阶段。</p><p>参与者确定了其组织"
                          "可以参与的环节，并开始起草国家行动计划，后续由国家社区专家跟进。</p>"),
        }))

    out.append(res(
        "briefing-criminalisation-hiv", "briefing_paper", "2017-06-01", ["global"], [],
        ["criminalisation", "hiv", "legal-reform", "human-rights"],
        [("nswp", "publisher")], "rcnf-consortium", "fr", {
            "fr": tr("Note d'information : criminalisation du travail du sexe et VIH",
                     "Cette note explique comment les lois qui criminalisent le travail du sexe entravent la riposte "
                     "au VIH et pourquoi la réforme juridique est une priorité du consortium.",
                     "<p>La criminalisation du travail du sexe, et les autres formes de répression juridique qui le "
                     "visent, éloignent les travailleurSEs du sexe des services de prévention, de dépistage et de "
                     "traitement du VIH :</p><ul><li>elle expose les travailleurSEs du sexe à la violence et aux "
                     "abus, y compris de la part de la police ;</li><li>elle renforce la stigmatisation et la "
                     "discrimination, notamment dans les services de santé ;</li><li>elle limite l'accès à la "
                     "justice.</li></ul><p>La note plaide pour des réformes juridiques et des programmes fondés sur "
                     "les droits humains, conformément aux objectifs du consortium.</p>"),
            "en": tr("Briefing paper: criminalisation of sex work and HIV",
                     "This paper explains how laws that criminalise sex work undermine the HIV response and why "
                     "legal reform is a priority for the consortium.",
                     "<p>Criminalisation of sex work, and other legal oppression aimed at it, keeps sex workers away "
                     "from HIV prevention, testing and treatment services:</p><ul><li>it exposes sex workers to "
                     "violence and abuse, including from police;</li><li>it deepens stigma and discrimination, "
                     "including in health services;</li><li>it limits access to justice.</li></ul><p>The paper "
                     "calls for legal reform and rights-based programmes, in line with the consortium's "
                     "objectives.</p>"),
            "ru": tr("Аналитическая записка: криминализация секс-работы и ВИЧ",
                     "В записке объясняется, как законы, криминализирующие секс-работу, подрывают ответные меры на "
                     "ВИЧ и почему правовая реформа является приоритетом консорциума.",
                     "<p>Криминализация секс-работы и другие формы правовых преследований отдаляют секс-работников "
                     "от услуг по профилактике, тестированию и лечению ВИЧ:</p><ul><li>она делает секс-работников "
                     "уязвимыми к насилию и злоупотреблениям, в том числе со стороны полиции;</li><li>она усиливает "
                     "стигму и дискриминацию, в том числе в медицинских учреждениях;</li><li>она ограничивает "
                     "доступ к правосудию.</li></ul><p>Авторы записки призывают к правовой реформе и программам, "
                     "основанным на правах человека, в соответствии с целями консорциума.</p>"),
            "zh-Hans": tr("简报：性工作刑事定罪与艾滋病",
                          "本简报说明将性工作定为犯罪的法律如何削弱艾滋病应对工作，以及为何法律改革是联盟的优先事项。",
                          "<p>将性工作定为犯罪以及针对性工作的其他法律压制，使性工作者远离艾滋病预防、检测和治疗服务：</p>"
                          "<ul><li>它使性工作者面临暴力和虐待，包括来自警察的暴力和虐待；</li><li>它加深污名和歧视，"
                          "包括在卫生服务中；</li><li>它限制了诉诸司法的机会。</li></ul><p>简报呼吁根据联盟的目标推动"
                          "法律改革和以权利为本的项目。</p>"),
            "es": tr("Nota informativa: criminalización del trabajo sexual y VIH",
                     "Esta nota explica cómo las leyes que criminalizan el trabajo sexual debilitan la respuesta al "
                     "VIH y por qué la reforma legal es una prioridad del consorcio.", "", DRAFT),
        }))

    out.append(res(
        "community-guide-national-action-plans", "community_guide", "2017-09-01", ["global"], [],
        ["global-fund", "community-empowerment", "funding"],
        [("nswp", "publisher")], "global-fund-consortium", "en", {
            "en": tr("Community guide: developing national action plans on the Global Fund",
                     "A step-by-step guide for national community experts and sex worker-led organisations "
                     "preparing a national action plan to engage with Global Fund processes.",
                     "<p>A national action plan sets out how sex worker-led organisations in a country will take "
                     "part in Global Fund processes. The guide walks through four steps:</p><ul><li>map the "
                     "national Global Fund bodies and the timetable of decisions;</li><li>agree on the community's "
                     "priorities;</li><li>set out activities, responsibilities and the support needed;</li>"
                     "<li>review progress regularly with the national community expert.</li></ul>"),
            "fr": tr("Guide communautaire : élaborer un plan d'action national sur le Fonds mondial",
                     "Un guide pas à pas pour les expertEs communautaires nationaux et les organisations dirigées "
                     "par des travailleurSEs du sexe qui préparent un plan d'action national pour s'impliquer dans "
                     "les processus du Fonds mondial.",
                     "<p>Un plan d'action national précise comment les organisations dirigées par des "
                     "travailleurSEs du sexe d'un pays vont participer aux processus du Fonds mondial. Le guide "
                     "propose quatre étapes :</p><ul><li>repérer les instances nationales du Fonds mondial et le "
                     "calendrier des décisions ;</li><li>s'accorder sur les priorités de la communauté ;</li>"
                     "<li>définir les activités, les responsabilités et l'appui nécessaire ;</li><li>faire "
                     "régulièrement le point avec l'expertE communautaire nationalE.</li></ul>"),
            "es": tr("Guía comunitaria: elaborar planes de acción nacionales sobre el Fondo Mundial",
                     "Una guía paso a paso para las personas expertas comunitarias nacionales y las organizaciones "
                     "lideradas por personas trabajadoras sexuales que preparan un plan de acción nacional para "
                     "participar en los procesos del Fondo Mundial.",
                     "<p>Un plan de acción nacional define cómo participarán en los procesos del Fondo Mundial las "
                     "organizaciones lideradas por personas trabajadoras sexuales de un país. La guía propone "
                     "cuatro pasos:</p><ul><li>identificar las instancias nacionales del Fondo Mundial y el "
                     "calendario de decisiones;</li><li>acordar las prioridades de la comunidad;</li><li>definir "
                     "actividades, responsabilidades y el apoyo necesario;</li><li>revisar periódicamente los "
                     "avances con la persona experta comunitaria nacional.</li></ul>"),
            "ru": tr("Руководство для сообществ: разработка национальных планов действий по Глобальному фонду",
                     "Пошаговое руководство для национальных экспертов из сообщества и организаций "
                     "секс-работников, которые готовят национальный план действий для участия в процессах "
                     "Глобального фонда.",
                     "<p>Национальный план действий определяет, как организации секс-работников страны будут "
                     "участвовать в процессах Глобального фонда. Руководство предлагает четыре шага:</p><ul>"
                     "<li>определить национальные органы Глобального фонда и график принятия решений;</li>"
                     "<li>согласовать приоритеты сообщества;</li><li>описать мероприятия, ответственных и "
                     "необходимую поддержку;</li><li>регулярно обсуждать ход работы с национальным экспертом из "
                     "сообщества.</li></ul>"),
            "zh-Hans": tr("社区指南：制定全球基金国家行动计划",
                          "为国家社区专家和由性工作者主导的组织编写的分步指南，帮助其制定参与全球基金进程的国家行动计划。",
                          "<p>国家行动计划说明一个国家由性工作者主导的组织将如何参与全球基金进程。本指南提出四个步骤：</p>"
                          "<ul><li>梳理全球基金的国家机构和决策时间表；</li><li>就社区的优先事项达成一致；</li>"
                          "<li>确定活动、职责和所需支持；</li><li>定期与国家社区专家一起回顾进展。</li></ul>", REVIEW),
        }))

    out.append(res(
        "statement-end-violence", "statement", "2017-12-17", ["global"], [],
        ["violence", "stigma-discrimination", "human-rights", "criminalisation"],
        [("nswp", "publisher"), ("apnsw", "author"), ("aswa", "author"), ("cswc", "author"), ("icrse", "author"),
         ("swan", "author"), ("plaperts", "author")], "rcnf-consortium", "fr", {
            "fr": tr("Déclaration du consortium : mettre fin à la violence, à la stigmatisation et à la "
                     "discrimination envers les travailleurSEs du sexe",
                     "À l'occasion de la Journée internationale contre les violences faites aux travailleurSEs du "
                     "sexe, les réseaux du consortium appellent à protéger les travailleurSEs du sexe de tous les "
                     "genres.",
                     "<p>Les réseaux du consortium rappellent que la violence, la stigmatisation et la "
                     "discrimination compromettent la santé et la sécurité des travailleurSEs du sexe, et freinent "
                     "la riposte au VIH.</p><p>Ils demandent aux gouvernements :</p><ul><li>de mettre fin à la "
                     "criminalisation du travail du sexe ;</li><li>de garantir l'accès à la justice aux "
                     "travailleurSEs du sexe victimes de violences ;</li><li>d'associer les organisations dirigées "
                     "par des travailleurSEs du sexe à l'élaboration des politiques qui les concernent.</li></ul>"),
            "en": tr("Consortium statement: ending violence, stigma and discrimination against sex workers",
                     "On the International Day to End Violence Against Sex Workers, the consortium's networks call "
                     "for the protection of sex workers of all genders.",
                     "<p>The consortium's networks point out that violence, stigma and discrimination threaten the "
                     "health and safety of sex workers and hold back the HIV response.</p><p>They ask governments "
                     "to:</p><ul><li>end the criminalisation of sex work;</li><li>guarantee access to justice for "
                     "sex workers who experience violence;</li><li>involve sex worker-led organisations in shaping "
                     "the policies that affect them.</li></ul>"),
            "es": tr("Declaración del consorcio: poner fin a la violencia, el estigma y la discriminación contra las "
                     "personas trabajadoras sexuales",
                     "Con motivo del Día Internacional para Poner Fin a la Violencia contra las Personas "
                     "Trabajadoras Sexuales, las redes del consorcio piden que se proteja a las personas "
                     "trabajadoras sexuales de todos los géneros.",
                     "<p>Las redes del consorcio recuerdan que la violencia, el estigma y la discriminación ponen en "
                     "peligro la salud y la seguridad de las personas trabajadoras sexuales y frenan la respuesta "
                     "al VIH.</p><p>Piden a los gobiernos:</p><ul><li>poner fin a la criminalización del trabajo "
                     "sexual;</li><li>garantizar el acceso a la justicia de las personas trabajadoras sexuales que "
                     "sufren violencia;</li><li>incluir a las organizaciones lideradas por personas trabajadoras "
                     "sexuales en la elaboración de las políticas que les afectan.</li></ul>"),
            "ru": tr("Заявление консорциума: положить конец насилию, стигме и дискриминации в отношении "
                     "секс-работников",
                     "В Международный день борьбы с насилием в отношении секс-работников сети консорциума "
                     "призывают защитить секс-работников всех гендеров.",
                     "<p>Сети консорциума напоминают, что насилие, стигма и дискриминация угрожают здоровью и "
                     "безопасности секс-работников и тормозят ответные меры на ВИЧ.</p><p>Они призывают "
                     "правительства:</p><ul><li>прекратить криминализацию секс-работы;</li><li>гарантировать "
                     "доступ к правосудию секс-работникам, пострадавшим от насилия;</li><li>привлекать "
                     "организации секс-работников к разработке политики, которая их касается.</li></ul>"),
            "zh-Hans": tr("联盟声明：终止针对性工作者的暴力、污名和歧视",
                          "在国际终止针对性工作者暴力日，联盟各网络呼吁保护所有性别的性工作者。",
                          "<p>联盟各网络指出，暴力、污名和歧视威胁性工作者的健康与安全，并阻碍艾滋病应对工作。</p>"
                          "<p>它们呼吁各国政府：</p><ul><li>终止将性工作定为犯罪；</li><li>保障遭受暴力的性工作者诉诸"
                          "司法的权利；</li><li>让由性工作者主导的组织参与制定与其相关的政策。</li></ul>"),
        }))
    return out


# ---------------------------------------------------------------------------------------------
# Good practices (hand-written)
# ---------------------------------------------------------------------------------------------

def gp(key, year, country, region, organization, topics, source, translations):
    return {"key": key, "year": year, "country": country, "region": region, "organization": organization,
            "topics": topics, "source_locale": source, "translations": translations}


def build_good_practices():
    out = []
    out.append(gp("peer-training-global-fund-kenya", 2016, "KE", "africa", "aswa",
                  ["global-fund", "community-empowerment"], "en", {
        "en": tr("Peer training on Global Fund processes in Kenya",
                 "Sex worker-led organisations in Kenya trained their peers on how Global Fund decisions are made "
                 "at country level and how to take part.",
                 "<p>With support from ASWA and a national community expert, sex worker-led organisations ran peer "
                 "training sessions on Global Fund processes.</p><p>Peer educators then shared what they learned "
                 "within their own organisations, so that more sex workers could follow and contribute to national "
                 "discussions.</p><p><strong>Why it works:</strong> knowledge is passed on by sex workers "
                 "themselves, in their own words.</p>"),
        "fr": tr("Formation par les pairs sur les processus du Fonds mondial au Kenya",
                 "Au Kenya, des organisations dirigées par des travailleurSEs du sexe ont formé leurs pairs à la "
                 "manière dont les décisions du Fonds mondial sont prises dans le pays et aux moyens d'y "
                 "participer.",
                 "<p>Avec l'appui de l'ASWA et d'unE expertE communautaire nationalE, des organisations dirigées "
                 "par des travailleurSEs du sexe ont organisé des sessions de formation par les pairs sur les "
                 "processus du Fonds mondial.</p><p>Les pairs éducateurRICEs ont ensuite partagé ces connaissances "
                 "au sein de leurs organisations, afin que davantage de travailleurSEs du sexe puissent suivre les "
                 "discussions nationales et y contribuer.</p><p><strong>Pourquoi ça marche :</strong> le savoir "
                 "est transmis par les travailleurSEs du sexe, avec leurs propres mots.</p>"),
        "es": tr("Formación entre pares sobre los procesos del Fondo Mundial en Kenia",
                 "Organizaciones lideradas por personas trabajadoras sexuales en Kenia formaron a sus pares sobre "
                 "cómo se toman las decisiones del Fondo Mundial en el país y cómo participar en ellas.",
                 "<p>Con el apoyo de ASWA y de una persona experta comunitaria nacional, las organizaciones "
                 "realizaron sesiones de formación entre pares sobre los procesos del Fondo Mundial.</p><p>Las "
                 "personas educadoras de pares compartieron después lo aprendido en sus propias organizaciones, "
                 "para que más personas trabajadoras sexuales pudieran seguir los debates nacionales y aportar a "
                 "ellos.</p><p><strong>Por qué funciona:</strong> el conocimiento lo transmiten las propias "
                 "personas trabajadoras sexuales, con sus propias palabras.</p>"),
        "ru": tr("Обучение по принципу «равный — равному» о процессах Глобального фонда в Кении",
                 "Организации секс-работников в Кении обучали своих коллег тому, как принимаются решения "
                 "Глобального фонда на уровне страны и как в этом участвовать.",
                 "<p>При поддержке ASWA и национального эксперта из сообщества организации секс-работников провели "
                 "занятия по принципу «равный — равному» о процессах Глобального фонда.</p><p>Затем "
                 "равные консультанты передали полученные знания в своих организациях, чтобы больше "
                 "секс-работников могли следить за национальными обсуждениями и участвовать в них.</p>"
                 "<p><strong>Почему это работает:</strong> знания передают сами секс-работники, своими "
                 "словами.</p>"),
        "zh-Hans": tr("肯尼亚关于全球基金进程的同伴培训",
                      "肯尼亚由性工作者主导的组织向同伴介绍全球基金在国家层面如何作出决策，以及如何参与其中。",
                      "<p>在ASWA和一名国家社区专家的支持下，由性工作者主导的组织举办了关于全球基金进程的同伴培训。</p>"
                      "<p>同伴教育者随后在各自组织内分享所学内容，使更多性工作者能够关注并参与国家层面的讨论。</p>"
                      "<p><strong>为何有效：</strong>知识由性工作者自己用自己的语言传递。</p>"),
    }))

    out.append(gp("national-action-plan-thailand", 2017, "TH", "asia-pacific", "apnsw",
                  ["global-fund", "community-empowerment", "health-services"], "en", {
        "en": tr("A community-led national action plan in Thailand",
                 "A national community expert helped sex worker-led organisations in Thailand agree on a national "
                 "action plan for engaging with the Global Fund.",
                 "<p>Following a regional workshop facilitated with APNSW, a national community expert worked with "
                 "sex worker-led organisations to turn the lessons of the workshop into a national action "
                 "plan.</p><p>The plan sets out the community's priorities and the steps needed to raise them in "
                 "Global Fund processes.</p>"),
        "fr": tr("Un plan d'action national porté par la communauté en Thaïlande",
                 "UnE expertE communautaire nationalE a aidé des organisations dirigées par des travailleurSEs du "
                 "sexe en Thaïlande à s'accorder sur un plan d'action national pour s'impliquer auprès du Fonds "
                 "mondial.",
                 "<p>À la suite d'un atelier régional animé avec l'APNSW, unE expertE communautaire nationalE a "
                 "travaillé avec des organisations dirigées par des travailleurSEs du sexe pour traduire les "
                 "enseignements de l'atelier en un plan d'action national.</p><p>Le plan fixe les priorités de la "
                 "communauté et les étapes nécessaires pour les faire valoir dans les processus du Fonds "
                 "mondial.</p>"),
        "zh-Hans": tr("泰国由社区主导的国家行动计划",
                      "一名国家社区专家帮助泰国由性工作者主导的组织就参与全球基金的国家行动计划达成一致。",
                      "<p>在与APNSW共同举办的区域研讨会之后，一名国家社区专家与由性工作者主导的组织合作，把研讨会的"
                      "经验转化为国家行动计划。</p><p>该计划列出了社区的优先事项，以及在全球基金进程中提出这些事项所需"
                      "的步骤。</p>"),
    }))

    out.append(gp("regional-workshop-caribbean", 2016, None, "caribbean", "cswc",
                  ["global-fund", "funding"], "en", {
        "en": tr("Regional workshop on Global Fund processes in the Caribbean",
                 "CSWC brought together sex worker-led organisations from across the Caribbean to learn about Global "
                 "Fund processes and plan their engagement.",
                 "<p>Regional community experts facilitated the workshop, which covered how Global Fund processes "
                 "work and where community voices can be heard.</p><p>Participants left with the first elements of "
                 "national action plans, to be developed further with national community experts.</p>"),
        "es": tr("Taller regional sobre los procesos del Fondo Mundial en el Caribe",
                 "CSWC reunió a organizaciones lideradas por personas trabajadoras sexuales de todo el Caribe para "
                 "conocer los procesos del Fondo Mundial y planificar su participación.",
                 "<p>Personas expertas comunitarias regionales facilitaron el taller, que abordó cómo funcionan los "
                 "procesos del Fondo Mundial y dónde puede hacerse oír la voz de la comunidad.</p><p>Las personas "
                 "participantes se llevaron los primeros elementos de sus planes de acción nacionales, que "
                 "seguirán desarrollando con personas expertas comunitarias nacionales.</p>"),
        "fr": tr("Atelier régional sur les processus du Fonds mondial dans les Caraïbes",
                 "La CSWC a réuni des organisations dirigées par des travailleurSEs du sexe de toute la région des "
                 "Caraïbes pour découvrir les processus du Fonds mondial et préparer leur participation.",
                 "<p>Des expertEs communautaires régionaux ont animé l'atelier, consacré au fonctionnement des "
                 "processus du Fonds mondial et aux espaces où la voix de la communauté peut se faire "
                 "entendre.</p><p>Les participantEs sont repartiEs avec les premiers éléments de leurs plans "
                 "d'action nationaux, à approfondir avec des expertEs communautaires nationaux.</p>"),
    }))

    out.append(gp("swit-introduction-europe", 2014, None, "europe", "icrse",
                  ["hiv", "human-rights", "community-empowerment"], "en", {
        "en": tr("Introducing the SWIT to sex worker-led organisations in Europe",
                 "ICRSE presented the Sex Worker Implementation Tool to its members and discussed how its "
                 "rights-based approach applies in European contexts.",
                 "<p>ICRSE used meetings and online communication with its members to introduce the SWIT and its "
                 "principles: community empowerment, addressing violence and community-led services.</p>"
                 "<p>Members discussed how to use the tool in their advocacy with health authorities and service "
                 "providers.</p>"),
        "fr": tr("Présenter le SWIT aux organisations de travailleurSEs du sexe en Europe",
                 "L'ICRSE a présenté l'Outil de mise en œuvre pour les travailleurSEs du sexe à ses membres et a "
                 "discuté de l'application de son approche fondée sur les droits dans les contextes européens.",
                 "<p>L'ICRSE s'est appuyé sur des réunions et sur la communication en ligne avec ses membres pour "
                 "présenter le SWIT et ses principes : autonomisation communautaire, lutte contre la violence et "
                 "services dirigés par la communauté.</p><p>Les membres ont discuté de la manière d'utiliser "
                 "l'outil dans leur plaidoyer auprès des autorités sanitaires et des prestataires de "
                 "services.</p>"),
        "es": tr("Presentar la SWIT a las organizaciones de personas trabajadoras sexuales en Europa",
                 "ICRSE presentó la herramienta SWIT a sus miembros y debatió cómo aplicar su enfoque basado en los "
                 "derechos en los contextos europeos.",
                 "<p>ICRSE aprovechó reuniones y la comunicación en línea con sus miembros para presentar la SWIT y "
                 "sus principios: empoderamiento comunitario, respuesta a la violencia y servicios liderados por la "
                 "comunidad.</p><p>Los miembros debatieron cómo usar la herramienta en su incidencia ante las "
                 "autoridades sanitarias y los proveedores de servicios.</p>"),
        "ru": tr("Знакомство европейских организаций секс-работников с инструментом SWIT",
                 "ICRSE представил своим членам инструмент SWIT и обсудил, как применять его правозащитный подход "
                 "в европейских условиях.",
                 "<p>ICRSE использовал встречи и онлайн-коммуникацию со своими членами, чтобы представить SWIT и его "
                 "принципы: расширение прав и возможностей сообщества, противодействие насилию и услуги, "
                 "предоставляемые сообществом.</p><p>Члены сети обсудили, как использовать инструмент в работе с "
                 "органами здравоохранения и поставщиками услуг.</p>"),
    }))

    out.append(gp("ccm-participation-ukraine", 2017, "UA", "eastern-europe-central-asia", "swan",
                  ["global-fund", "community-empowerment", "stigma-discrimination"], "ru", {
        "ru": tr("Поддержка участия секс-работников в страновом координационном механизме в Украине",
                 "Национальный эксперт из сообщества помогал организациям секс-работников Украины готовиться к "
                 "обсуждениям в страновом координационном механизме Глобального фонда.",
                 "<p>При поддержке SWAN национальный эксперт из сообщества помогал организациям секс-работников "
                 "разобраться в работе странового координационного механизма (СКМ) и подготовить свои "
                 "предложения.</p><p>Такой подход помогает сообществу говорить от своего имени там, где "
                 "принимаются решения о финансировании.</p>"),
        "en": tr("Supporting sex workers' participation in the Country Coordinating Mechanism in Ukraine",
                 "A national community expert helped sex worker-led organisations in Ukraine prepare for "
                 "discussions in the Global Fund's Country Coordinating Mechanism.",
                 "<p>With support from SWAN, a national community expert helped sex worker-led organisations "
                 "understand how the Country Coordinating Mechanism (CCM) works and prepare their own "
                 "proposals.</p><p>This approach helps the community speak for itself where funding decisions are "
                 "made.</p>"),
    }))

    out.append(gp("national-action-plan-peru", 2016, "PE", "latin-america", "plaperts",
                  ["global-fund", "community-empowerment"], "es", {
        "es": tr("Plan de acción nacional construido por la comunidad en el Perú",
                 "Con el apoyo de PLAPERTS, organizaciones de personas trabajadoras sexuales del Perú acordaron un "
                 "plan de acción nacional para participar en los procesos del Fondo Mundial.",
                 "<p>Tras el taller regional, una persona experta comunitaria nacional acompañó a las "
                 "organizaciones en la elaboración de un plan de acción nacional.</p><p>El plan recoge las "
                 "prioridades de la comunidad y los pasos para hacerlas llegar a los espacios de decisión del Fondo "
                 "Mundial en el país.</p>"),
        "en": tr("A community-built national action plan in Peru",
                 "With support from PLAPERTS, sex worker organisations in Peru agreed on a national action plan for "
                 "taking part in Global Fund processes.",
                 "<p>After the regional workshop, a national community expert supported the organisations as they "
                 "drew up a national action plan.</p><p>The plan records the community's priorities and the steps "
                 "needed to bring them to the places where Global Fund decisions are made in the country.</p>"),
        "fr": tr("Un plan d'action national construit par la communauté au Pérou",
                 "Avec l'appui de la PLAPERTS, des organisations de travailleurSEs du sexe du Pérou se sont "
                 "accordées sur un plan d'action national pour participer aux processus du Fonds mondial.",
                 "<p>Après l'atelier régional, unE expertE communautaire nationalE a accompagné les organisations "
                 "dans l'élaboration d'un plan d'action national.</p><p>Le plan rassemble les priorités de la "
                 "communauté et les étapes pour les porter là où se prennent les décisions du Fonds mondial dans "
                 "le pays.</p>"),
    }))

    out.append(gp("human-rights-peer-training-senegal", 2018, "SN", "africa", "aswa",
                  ["human-rights", "violence", "legal-reform"], "fr", {
        "fr": tr("Formation par les pairs aux droits humains au Sénégal",
                 "Au Sénégal, des organisations de travailleurSEs du sexe ont organisé des formations par les pairs "
                 "sur les droits humains et l'accès à la justice.",
                 "<p>Les sessions, animées par des travailleurSEs du sexe forméEs, portaient sur les droits "
                 "humains, les recours possibles en cas de violence et l'accès à la justice.</p><p>Cette démarche "
                 "rejoint l'objectif du consortium : défendre les droits humains des travailleurSEs du sexe de "
                 "tous les genres et leur ouvrir les portes de la justice.</p>"),
        "en": tr("Peer training on human rights in Senegal", "", "", DRAFT),
    }))

    out.append(gp("regional-community-experts", 2015, None, "global", "nswp",
                  ["global-fund", "community-empowerment", "funding"], "en", {
        "en": tr("Training regional community experts on the Global Fund",
                 "NSWP trained and mentored community experts from the regional networks so that they could "
                 "facilitate regional workshops and support national experts.",
                 "<p>After the global workshop, regional community experts received ongoing mentoring from NSWP and "
                 "the consortium.</p><p>They then facilitated regional workshops and supported national community "
                 "experts in developing and implementing national action plans, so that expertise stays within sex "
                 "worker-led networks.</p>"),
        "fr": tr("Former des expertEs communautaires régionaux sur le Fonds mondial",
                 "Le NSWP a formé et encadré des expertEs communautaires issuEs des réseaux régionaux pour qu'ils et "
                 "elles animent les ateliers régionaux et soutiennent les expertEs nationaux.",
                 "<p>Après l'atelier mondial, les expertEs communautaires régionaux ont bénéficié d'un tutorat "
                 "suivi de la part du NSWP et du consortium.</p><p>Ils et elles ont ensuite animé des ateliers "
                 "régionaux et soutenu les expertEs communautaires nationaux dans l'élaboration et la mise en œuvre "
                 "des plans d'action nationaux, afin que l'expertise reste au sein des réseaux dirigés par des "
                 "travailleurSEs du sexe.</p>"),
        "es": tr("Formación de personas expertas comunitarias regionales sobre el Fondo Mundial",
                 "NSWP formó y acompañó a personas expertas comunitarias de las redes regionales para que "
                 "facilitaran talleres regionales y apoyaran a las personas expertas nacionales.",
                 "<p>Después del taller mundial, las personas expertas comunitarias regionales recibieron una "
                 "mentoría continua de NSWP y del consorcio.</p><p>Luego facilitaron talleres regionales y apoyaron "
                 "a las personas expertas comunitarias nacionales en la elaboración y aplicación de los planes de "
                 "acción nacionales, para que el conocimiento quede dentro de las redes lideradas por personas "
                 "trabajadoras sexuales.</p>"),
        "ru": tr("Подготовка региональных экспертов из сообщества по Глобальному фонду",
                 "NSWP обучала и поддерживала экспертов из сообщества, представляющих региональные сети, чтобы они "
                 "могли проводить региональные семинары и помогать национальным экспертам.",
                 "<p>После глобального семинара региональные эксперты из сообщества получали постоянное "
                 "наставничество от NSWP и консорциума.</p><p>Затем они проводили региональные семинары и "
                 "поддерживали национальных экспертов из сообщества в разработке и выполнении национальных планов "
                 "действий, чтобы экспертиза оставалась внутри сетей секс-работников.</p>"),
        "zh-Hans": tr("培训区域社区专家了解全球基金",
                      "NSWP培训并指导来自各区域网络的社区专家，使他们能够主持区域研讨会并支持国家专家。",
                      "<p>全球研讨会之后，区域社区专家持续接受NSWP和联盟的指导。</p><p>随后，他们主持区域研讨会，并支持"
                      "国家社区专家制定和实施国家行动计划，使专业知识留在由性工作者主导的网络之中。</p>"),
    }))

    out.append(gp("peer-documentation-violence-cambodia", 2019, "KH", "asia-pacific", "apnsw",
                  ["violence", "human-rights", "community-empowerment"], "en", {
        "en": tr("Peer documentation of violence against sex workers in Cambodia",
                 "Sex worker-led organisations in Cambodia recorded the violence and abuse reported by their peers "
                 "and used these records in their advocacy.",
                 "<p>Peer workers collected accounts of violence and abuse shared by sex workers, with their "
                 "consent, and referred people to support services.</p><p>The records help sex worker-led "
                 "organisations to show decision makers why ending violence, stigma and discrimination must be part "
                 "of HIV responses.</p>"),
        "fr": tr("Documentation par les pairs des violences envers les travailleurSEs du sexe au Cambodge",
                 "Au Cambodge, des organisations dirigées par des travailleurSEs du sexe ont consigné les violences "
                 "et abus signalés par leurs pairs et s'en servent dans leur plaidoyer.",
                 "<p>Des pairs ont recueilli, avec leur accord, les témoignages de travailleurSEs du sexe ayant subi "
                 "des violences ou des abus, et les ont orientéEs vers des services d'aide.</p><p>Ces données aident "
                 "les organisations à montrer aux décideurs pourquoi la fin de la violence, de la stigmatisation et "
                 "de la discrimination doit faire partie de la riposte au VIH.</p>"),
        "zh-Hans": tr("柬埔寨同伴记录针对性工作者的暴力",
                      "柬埔寨由性工作者主导的组织记录同伴报告的暴力和虐待事件，并将这些记录用于倡导工作。",
                      "<p>同伴工作者在征得同意后收集性工作者讲述的暴力和虐待经历，并将当事人转介至支持服务。</p>"
                      "<p>这些记录帮助由性工作者主导的组织向决策者说明，为何终止暴力、污名和歧视必须成为艾滋病应对工作"
                      "的一部分。</p>", REVIEW),
    }))

    out.append(gp("stigma-health-services-dominican-republic", 2018, "DO", "caribbean", "cswc",
                  ["stigma-discrimination", "health-services"], "es", {
        "es": tr("Talleres entre pares sobre estigma y discriminación en los servicios de salud en la República "
                 "Dominicana",
                 "Organizaciones de personas trabajadoras sexuales organizaron talleres entre pares para reconocer "
                 "situaciones de estigma y discriminación en los servicios de salud y saber cómo responder.",
                 "<p>Los talleres, apoyados por CSWC, permitieron compartir experiencias vividas en los servicios de "
                 "salud y preparar mensajes para el diálogo con el personal sanitario.</p><p>Este trabajo se "
                 "vincula con el objetivo del consorcio de acabar con el estigma y la discriminación contra las "
                 "personas trabajadoras sexuales de todos los géneros.</p>"),
        "en": tr("Peer workshops on stigma and discrimination in health services in the Dominican Republic",
                 "Sex worker organisations held peer workshops to recognise stigma and discrimination in health "
                 "services and to know how to respond.",
                 "<p>The workshops, supported by CSWC, gave participants a space to share their experiences of "
                 "health services and to prepare messages for dialogue with health workers.</p><p>This work is "
                 "linked to the consortium's aim of ending stigma and discrimination against sex workers of all "
                 "genders.</p>"),
    }))
    return out


# ---------------------------------------------------------------------------------------------
# SDG-derived resources
# ---------------------------------------------------------------------------------------------

TARGET_WORD = {"en": "Target {n}: ", "fr": "Cible {n} : ", "es": "Meta {n}: ", "ru": "Задача {n}: ",
               "zh-Hans": "具体目标{n}：", "ar": "الغاية {n}: "}
INDICATORS_WORD = {"en": "Indicators", "fr": "Indicateurs", "es": "Indicadores", "ru": "Показатели",
                   "zh-Hans": "指标", "ar": "المؤشرات"}

GOAL_TOPICS = {3: ["hiv", "health-services"], 5: ["gender"], 10: ["stigma-discrimination", "migration"],
               16: ["human-rights", "violence"], 17: ["funding"]}
# Narrower topics for individual targets (on top of "sdg").
TARGET_TOPICS = {
    3: ["health-services"], 5: ["gender"], 10: ["stigma-discrimination"], 16: ["human-rights"], 17: ["funding"],
}
TARGET_EXTRA_TOPICS = {
    "3.3": ["hiv"], "3.7": ["gender"], "3.8": ["hiv"], "5.2": ["violence"], "5.3": ["violence"],
    "10.3": ["legal-reform"], "10.7": ["migration"], "10.c": ["migration"], "16.1": ["violence"],
    "16.2": ["violence"], "16.3": ["legal-reform"], "16.b": ["legal-reform"],
}
# Targets turned into briefing papers, chosen by hand (9 per goal).
CHOSEN_TARGETS = [
    "3.1", "3.2", "3.3", "3.4", "3.5", "3.7", "3.8", "3.b", "3.c",
    "5.1", "5.2", "5.3", "5.4", "5.5", "5.6", "5.a", "5.b", "5.c",
    "10.1", "10.2", "10.3", "10.4", "10.5", "10.6", "10.7", "10.b", "10.c",
    "16.1", "16.2", "16.3", "16.5", "16.6", "16.7", "16.10", "16.a", "16.b",
    "17.1", "17.2", "17.3", "17.6", "17.9", "17.14", "17.16", "17.17", "17.18",
]
# Locale patterns cycled over the chosen targets: (source locale, [(locale, status), ...]).
TARGET_PATTERNS = [
    ("en", [(l, PUB) for l in CONFIGURED]),
    ("en", [("en", PUB)]),
    ("fr", [("fr", PUB)]),
    ("es", [("es", PUB), ("en", PUB)]),
    ("ru", [("ru", PUB)]),
    ("zh-Hans", [("zh-Hans", PUB)]),
    ("fr", [(l, PUB) for l in ALL_LOCALES]),
    ("en", [("en", PUB), ("fr", PUB), ("es", DRAFT)]),
]


def load_corpus(corpus_dir):
    data = {}
    for loc in ALL_LOCALES:
        data[loc] = {}
        for kind in ("goals", "targets", "indicators"):
            path = Path(corpus_dir) / loc / f"global_{kind}.yml"
            with open(path, encoding="utf-8") as fh:
                raw = yaml.safe_load(fh)
            data[loc][kind] = {k: " ".join(str(v).split()) for k, v in raw.items()}
    return data


def part_key(p):
    """Sort key for a target or indicator part: numbers first, then letters."""
    return (0, int(p), "") if p.isdigit() else (1, 0, p)


def goal_targets(corpus, goal):
    """Target ids ("3.1", "3.a", ...) of a goal, in official order."""
    ids = []
    for key in corpus["en"]["targets"]:
        parts = key.split("-")
        if len(parts) == 3 and parts[2] == "title" and parts[0] == str(goal):
            ids.append(parts[1])
    return [f"{goal}.{p}" for p in sorted(ids, key=part_key)]


def target_indicators(corpus, target):
    goal, t = target.split(".")
    ids = []
    for key in corpus["en"]["indicators"]:
        parts = key.split("-")
        if len(parts) == 4 and parts[3] == "title" and parts[0] == goal and parts[1] == t:
            ids.append(parts[2])
    return [f"{goal}-{t}-{n}-title" for n in sorted(ids, key=part_key)]


def tkey(target):
    return target.replace(".", "-") + "-title"


def esc(text):
    return html.escape(text, quote=False)


def short_clause(text, locale):
    """The start of a target text for use in a title, cut at a clause or word boundary."""
    text = text.strip().rstrip(".。")
    if locale == "zh-Hans":
        limit, min_clause, seps = 40, 12, ",，、;；:："
    else:
        limit, min_clause, seps = 90, 50, ",;:،؛"
    if len(text) <= limit:
        return text

    def ok(i):
        # Never cut inside a number such as "1 000", "1,000" or "100 000".
        return not (0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit())

    clause = [i for i in range(min_clause, limit + 1) if text[i] in seps and ok(i)]
    if clause:
        cut = clause[-1]
    else:
        spaces = [i for i in range(1, limit + 1) if text[i] == " " and ok(i)] if locale != "zh-Hans" else []
        cut = spaces[-1] if spaces else limit
    return text[:cut].rstrip(" ,;:，、；：،؛") + "…"


def spread_date(i, salt):
    year = 2016 + (i * 5 + salt) % 9
    month = 1 + (i * 7 + salt) % 12
    day = 1 + (i * 11 + salt) % 28
    return f"{year:04d}-{month:02d}-{day:02d}"


def build_sdg_resources(corpus):
    out = []
    for goal in range(1, 18):
        if goal <= 6:
            locales = ALL_LOCALES
        elif goal <= 12:
            locales = ["en", "fr", "es"]
        else:
            locales = ["en", "ru", "zh-Hans"]
        targets = goal_targets(corpus, goal)
        translations = {}
        for loc in locales:
            texts = corpus[loc]["targets"]
            items = "".join(f"<li><strong>{t}</strong> {esc(texts[tkey(t)])}</li>" for t in targets)
            translations[loc] = tr(corpus[loc]["goals"][f"{goal}-title"], texts[tkey(targets[0])],
                                   f"<ul>{items}</ul>")
        out.append(res(f"sdg-goal-{goal}", "policy_brief", spread_date(goal, 3), ["global"], [],
                       ["sdg"] + GOAL_TOPICS.get(goal, []), [], None, "en", translations))

    for i, target in enumerate(CHOSEN_TARGETS):
        goal = int(target.split(".")[0])
        source, locs = TARGET_PATTERNS[i % len(TARGET_PATTERNS)]
        indicators = target_indicators(corpus, target)
        translations = {}
        for loc, status in locs:
            text = corpus[loc]["targets"][tkey(target)]
            title = TARGET_WORD[loc].format(n=target) + short_clause(text, loc)
            body = f"<p>{esc(text)}</p>"
            if indicators:
                items = "".join(f"<li>{esc(corpus[loc]['indicators'][k])}</li>" for k in indicators)
                body += f"<p><strong>{INDICATORS_WORD[loc]}</strong></p><ul>{items}</ul>"
            translations[loc] = tr(title, text, body, status)
        topics = ["sdg"] + TARGET_TOPICS[goal] + TARGET_EXTRA_TOPICS.get(target, [])
        out.append(res("sdg-target-" + target.replace(".", "-"), "briefing_paper", spread_date(i, 17),
                       ["global"], [], topics, [], None, source, translations))
    return out


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------

ALLOWED_TAGS = {"p", "ul", "li", "strong", "em", "a"}


class HtmlCheck(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.errors.append(f"tag <{tag}> not allowed")
        for name, value in attrs:
            if not (tag == "a" and name == "href" and value and value.startswith("https://")):
                self.errors.append(f"attribute {name}={value!r} on <{tag}> not allowed")
        if tag == "li" and (not self.stack or self.stack[-1] != "ul"):
            self.errors.append("<li> outside <ul>")
        if tag in ("p", "ul") and self.stack and self.stack[-1] in ("p", "strong", "em", "a"):
            self.errors.append(f"<{tag}> inside <{self.stack[-1]}>")
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}> (open: {self.stack})")
        else:
            self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "ul" and data.strip():
            self.errors.append("text directly inside <ul>")


def check_html(fragment):
    if fragment == "":
        return []
    parser = HtmlCheck()
    parser.feed(fragment)
    parser.close()
    errors = list(parser.errors)
    if parser.stack:
        errors.append(f"unclosed tags {parser.stack}")
    if re.search(r"&(?![a-zA-Z]+;|#\d+;)", fragment):
        errors.append("unescaped &")
    if not fragment.startswith("<"):
        errors.append("text outside a block element")
    return errors


def validate(data):
    errors = []

    def err(msg):
        errors.append(msg)

    terms = {}
    for t in data["terms"]:
        ident = (t["taxonomy"], t["code"])
        if t["taxonomy"] not in TAXONOMIES:
            err(f"term {ident}: bad taxonomy {t['taxonomy']}")
        if ident in terms:
            err(f"duplicate term {ident}")
        terms[ident] = t
        if set(t["labels"]) != set(CONFIGURED) or not all(v.strip() for v in t["labels"].values()):
            err(f"term {ident} needs non-empty labels in {CONFIGURED}")
        if t["taxonomy"] == "country":
            if not re.fullmatch(r"[A-Z]{2}", t["code"]):
                err(f"bad country code {t['code']}")
            if ("region", t["parent"]) not in terms:
                err(f"country {t['code']} has unknown parent region {t['parent']}")
        else:
            if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", t["code"]):
                err(f"bad code {t['code']}")
            if t["parent"] is not None:
                err(f"{ident} must have no parent")
    for code in ["africa", "asia-pacific", "caribbean", "europe", "eastern-europe-central-asia",
                 "latin-america", "north-america", "global"]:
        if ("region", code) not in terms:
            err(f"missing region {code}")

    def need(taxonomy, code, where):
        if code is not None and (taxonomy, code) not in terms:
            err(f"{where}: unknown {taxonomy} {code!r}")

    org_keys = [o["key"] for o in data["organizations"]]
    prog_keys = [p["key"] for p in data["programmes"]]
    for kind, keys in (("organization", org_keys), ("programme", prog_keys),
                       ("resource", [r["key"] for r in data["resources"]]),
                       ("good_practice", [g["key"] for g in data["good_practices"]])):
        for k, n in Counter(keys).items():
            if n > 1:
                err(f"duplicate {kind} key {k}")

    titles = Counter()

    def check_item(kind, item):
        where = f"{kind} {item['key']}"
        trs = item["translations"]
        if not trs:
            err(f"{where}: no translations")
        if item["source_locale"] not in trs:
            err(f"{where}: source locale {item['source_locale']} has no translation")
        if not any(t["status"] == PUB for t in trs.values()):
            err(f"{where}: nothing published")
        for loc, t in trs.items():
            if loc not in ALL_LOCALES:
                err(f"{where}: unexpected locale {loc}")
            if set(t) != {"status", "title", "summary", "body"}:
                err(f"{where}/{loc}: fields {sorted(t)}")
            if t["status"] not in STATUSES:
                err(f"{where}/{loc}: bad status {t['status']}")
            if not t["title"].strip():
                err(f"{where}/{loc}: empty title")
            if re.search(r"<[a-zA-Z/!]", t["summary"]):
                err(f"{where}/{loc}: summary must be plain text")
            for e in check_html(t["body"]):
                err(f"{where}/{loc}: body: {e}")
            titles[(kind, loc, t["title"])] += 1

    for o in data["organizations"]:
        if o["kind"] not in ORG_KINDS:
            err(f"organization {o['key']}: bad kind {o['kind']}")
        if o["parent"] is not None and o["parent"] not in org_keys:
            err(f"organization {o['key']}: unknown parent {o['parent']}")
        if o["website"] is not None and not o["website"].startswith("https://"):
            err(f"organization {o['key']}: website must be https")
        need("region", o["region"], f"organization {o['key']}")
        check_item("organization", o)
    for p in data["programmes"]:
        for f in p["funders"]:
            if f not in org_keys:
                err(f"programme {p['key']}: unknown funder {f}")
        if p["end_year"] is not None and p["end_year"] < p["start_year"]:
            err(f"programme {p['key']}: ends before it starts")
        check_item("programme", p)
    for r in data["resources"]:
        where = f"resource {r['key']}"
        if r["kind"] not in RESOURCE_KINDS:
            err(f"{where}: bad kind {r['kind']}")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["published_on"]):
            err(f"{where}: bad date")
        for c in r["regions"]:
            need("region", c, where)
        for c in r["countries"]:
            need("country", c, where)
        for c in r["topics"]:
            need("topic", c, where)
        if len(set(r["topics"])) != len(r["topics"]):
            err(f"{where}: duplicate topics")
        for o in r["organizations"]:
            if o["key"] not in org_keys:
                err(f"{where}: unknown organization {o['key']}")
            if o["role"] not in ORG_ROLES:
                err(f"{where}: bad role {o['role']}")
        if r["programme"] is not None and r["programme"] not in prog_keys:
            err(f"{where}: unknown programme {r['programme']}")
        check_item("resource", r)
    for g in data["good_practices"]:
        where = f"good_practice {g['key']}"
        need("country", g["country"], where)
        need("region", g["region"], where)
        if g["organization"] is not None and g["organization"] not in org_keys:
            err(f"{where}: unknown organization {g['organization']}")
        for c in g["topics"]:
            need("topic", c, where)
        if not 2013 <= g["year"] <= 2019:
            err(f"{where}: year out of range")
        check_item("good_practice", g)

    for (kind, loc, title), n in titles.items():
        if n > 1:
            err(f"title used {n} times for {kind}/{loc}: {title!r}")

    published_only = {}
    for r in data["resources"]:
        pub = tuple(sorted(l for l, t in r["translations"].items() if t["status"] == PUB))
        published_only.setdefault(pub, []).append(r["key"])
    for loc in ("es", "fr"):
        if (loc,) not in published_only:
            err(f"no resource whose only published locale is {loc}")

    n_sdg = sum(1 for r in data["resources"] if r["key"].startswith("sdg-"))
    if n_sdg < 60:
        err(f"only {n_sdg} SDG-derived resources")
    total = sum(len(data[k]) for k in ("resources", "good_practices", "programmes", "organizations"))
    if total < 80:
        err(f"only {total} content items")
    return errors


def report(data):
    print("counts:", file=sys.stderr)
    for taxonomy in ("region", "country", "topic"):
        n = sum(1 for t in data["terms"] if t["taxonomy"] == taxonomy)
        print(f"  terms/{taxonomy}: {n}", file=sys.stderr)
    for kind in ("organizations", "programmes", "resources", "good_practices"):
        print(f"  {kind}: {len(data[kind])}", file=sys.stderr)
    n_sdg = sum(1 for r in data["resources"] if r["key"].startswith("sdg-"))
    print(f"  (of which SDG-derived resources: {n_sdg})", file=sys.stderr)
    print("items with a published translation, per locale:", file=sys.stderr)
    header = "  " + "type".ljust(16) + "".join(l.rjust(9) for l in ALL_LOCALES)
    print(header, file=sys.stderr)
    for kind in ("organizations", "programmes", "resources", "good_practices"):
        row = [sum(1 for it in data[kind] if it["translations"].get(l, {}).get("status") == PUB)
               for l in ALL_LOCALES]
        print("  " + kind.ljust(16) + "".join(str(n).rjust(9) for n in row), file=sys.stderr)
    statuses = Counter(t["status"] for kind in ("organizations", "programmes", "resources", "good_practices")
                       for it in data[kind] for t in it["translations"].values())
    print("translation rows by status:", dict(sorted(statuses.items())), file=sys.stderr)


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} CORPUS_DIR > demo.json", file=sys.stderr)
        return 2
    corpus = load_corpus(argv[1])
    data = {
        "terms": build_terms(),
        "organizations": build_organizations(),
        "programmes": build_programmes(),
        "resources": build_consortium_resources() + build_sdg_resources(corpus),
        "good_practices": build_good_practices(),
    }
    errors = validate(data)
    if errors:
        for e in errors:
            print("ERROR:", e, file=sys.stderr)
        print(f"{len(errors)} validation error(s); nothing written", file=sys.stderr)
        return 1
    report(data)
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

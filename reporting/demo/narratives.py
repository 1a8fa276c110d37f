"""The key figures and texts of the demo months, written from the facts of the published
situation reports."""

from __future__ import annotations

import datetime as dt

from reporting.models import NarrativeKind

from .september import SEPTEMBER

# month → refugees and migrants in Peru, as of; RMRP funds received (USD), retrieved on
KEY_FIGURES = {
    dt.date(2023, 7, 1): (1_520_000, dt.date(2023, 7, 31), 35_600_000, dt.date(2023, 8, 4)),
    dt.date(2023, 8, 1): (1_530_000, dt.date(2023, 8, 31), 40_100_000, dt.date(2023, 9, 5)),
    SEPTEMBER: (1_540_000, dt.date(2023, 9, 30), 44_800_000, dt.date(2023, 10, 4)),
}
RMRP_REQUIREMENT_USD = 318_000_000  # RMRP 2023-24, Peru
POPULATION_SOURCE = "Superintendencia Nacional de Migraciones (SNM) / R4V"
FUNDING_SOURCE = "Financial Tracking System (FTS)"

# September 2023's texts, written from the facts of the published situation report:
# (kind, sector code or None, Spanish, English). One bullet a line; blank lines part paragraphs.
SEPTEMBER_NARRATIVES = (
    (
        NarrativeKind.SITUATION, None,
        "\n".join((
            "- El 19 de septiembre, como parte de sus medidas contra la criminalidad, el Gobierno "
            "declaró el **estado de emergencia** en Piura y en dos distritos de Lima, San Juan de "
            "Lurigancho y San Martín de Porres, donde vive cerca de una de cada cinco personas "
            "refugiadas y migrantes de Venezuela. El 23 de septiembre, el Congreso otorgó al "
            "Poder Ejecutivo **facultades para legislar durante 90 días** en materias como la "
            "seguridad ciudadana.",
            "- Se reforzó el control en las fronteras norte (Tumbes) y sur (Tacna): en Tumbes la "
            "policía intensificó el patrullaje y en Tacna 180 efectivos vigilaron los pasos "
            "irregulares. A fines de mes, más de 100 personas refugiadas y migrantes sin la "
            "documentación exigida bloquearon durante varias horas la vía fronteriza entre Chile "
            "y Perú, en protesta porque no se les permitía ingresar.",
            "- Al 28 de septiembre, según la Superintendencia Nacional de Migraciones (SNM), unas "
            "87,600 personas habían solicitado la **amnistía de multas** por exceso de "
            "permanencia y casi 88,000 el **Carné de Permiso Temporal de Permanencia (CPP)**. "
            "Ambos trámites vencen el **10 de noviembre** y el Gobierno ha reiterado que no habrá "
            "nuevas prórrogas.",
        )),
        "\n".join((
            "- On 19 September the Government declared a **state of emergency** in Piura and in "
            "two districts of Lima, San Juan de Lurigancho and San Martín de Porres, as part of "
            "its measures against crime; about one in five refugees and migrants from Venezuela "
            "lives in these two districts. On 23 September, Congress gave the Executive **powers "
            "to legislate for 90 days** on matters that include citizen security.",
            "- Controls were stepped up at the northern (Tumbes) and southern (Tacna) borders: "
            "police increased patrols in Tumbes, and in Tacna 180 officers watched the irregular "
            "crossing points. Late in the month, over 100 refugees and migrants without the "
            "required documents blocked the road across the Chile–Peru border for several hours "
            "in protest at being refused entry.",
            "- By 28 September, the National Superintendence of Migration (SNM) counted about "
            "87,600 applications for the **amnesty of fines** for overstaying and almost 88,000 "
            "for the **Temporary Permanence Permit card (CPP)**. Both close on **10 November**, "
            "and the Government has said more than once that there will be no further extension.",
        )),
    ),
    (
        NarrativeKind.HIGHLIGHTS, "EDU",
        "\n".join((
            "- Unos 130 **profesionales de instituciones educativas fueron capacitados** para "
            "mejorar el acceso, la permanencia y la calidad de la educación.",
            "- En Arequipa, 125 **familias recibieron orientación sobre la matrícula escolar**, "
            "para que sus hijas e hijos se incorporen al sistema educativo público.",
        )),
        "\n".join((
            "- Some 130 **school staff were trained** to improve access to school, retention and "
            "the quality of education.",
            "- In Arequipa, 125 **families were advised on school enrolment**, so that their "
            "children can join the public education system.",
        )),
    ),
    (
        NarrativeKind.HIGHLIGHTS, "HEA",
        "\n".join((
            "- Unos 45 **profesionales de la salud pública fueron capacitados** en sesgos y "
            "estereotipos en la atención especializada y en primeros auxilios psicológicos, para "
            "reducir la discriminación hacia la población venezolana en los establecimientos de "
            "salud.",
            "- Se brindaron casi 6,800 **atenciones de salud primaria** en los Puntos de Atención "
            "y Orientación (PAO) de Desaguadero, La Libertad y Piura, en ferias comunitarias y por "
            "teleconsulta: más de 2,500 personas más que en agosto.",
            "- 1,300 personas en Lima y el norte del país (Trujillo, Tumbes y Piura) recibieron "
            "**atención en salud sexual y reproductiva**.",
        )),
        "\n".join((
            "- About 45 **public health workers were trained** on bias and stereotypes in "
            "specialized care and on psychological first aid, to reduce discrimination against "
            "Venezuelans in health facilities.",
            "- Nearly 6,800 **primary health care consultations** were given at the Assistance "
            "and Orientation Points (PAO) in Desaguadero, La Libertad and Piura, at community "
            "fairs and online: over 2,500 more people than in August.",
            "- 1,300 people in Lima and the north (Trujillo, Tumbes and Piura) received **sexual "
            "and reproductive health care**.",
        )),
    ),
    (
        NarrativeKind.HIGHLIGHTS, "INT",
        "\n".join((
            "- Unas 550 personas en Lima, La Libertad y Piura recibieron **educación financiera** "
            "sobre ahorro y crédito y conocieron los servicios de las entidades financieras "
            "locales aliadas. Casi 400 fueron **capacitadas en habilidades blandas, gestión de "
            "negocios y habilidades técnicas** para emprender.",
            "- En Lima, unas 150 personas de organizaciones lideradas por refugiados y migrantes "
            "participaron en **talleres de fortalecimiento de capacidades** que refuerzan su "
            "autonomía y sus estructuras comunitarias.",
        )),
        "\n".join((
            "- About 550 people in Lima, La Libertad and Piura received **financial education** "
            "on savings and credit and learned what local partner financial institutions offer. "
            "Almost 400 were **trained in soft, business management and technical skills** to "
            "start a business.",
            "- In Lima, about 150 members of refugee- and migrant-led organizations took part in "
            "**capacity-building workshops** that strengthen their self-reliance and community "
            "structures.",
        )),
    ),
    (
        NarrativeKind.HIGHLIGHTS, "NUT",
        "- En el Centro de Salud Materno Infantil de Jicamarca (Lima), los socios organizaron "
        "una **actividad de sensibilización sobre alimentación saludable y prevención de la "
        "anemia y la desnutrición infantil**.",
        "- At the Jicamarca Maternal and Child Health Centre (Lima), partners held an **awareness "
        "activity on healthy eating and on preventing anaemia and child malnutrition**.",
    ),
    (
        NarrativeKind.HIGHLIGHTS, "PRO",
        "\n".join((
            "- Ante el cierre de la regularización el 10 de noviembre, los socios del GTRM "
            "apoyaron a la SNM con **oficinas descentralizadas en distritos de Lima**: cuatro "
            "plataformas **Mejor Atención al Ciudadano (MAC)**, cuatro centros **SAMMIR** de "
            "atención migratoria y dos **Migracentros**.",
            "- En Tumbes, unos 220 niñas, niños y adolescentes en situación de vulnerabilidad "
            "fueron referidos a servicios especializados y acogidos en albergues temporales.",
            "- En Trujillo, el GTRM y la SNM organizaron el **III Entregatón**, que atendió a "
            "1,967 personas refugiadas y migrantes: documentación y regularización, pago de "
            "tasas, orientación psicológica, salud sexual y reproductiva, afiliación al Seguro "
            "Integral de Salud (SIS), educación y medios de vida.",
        )),
        "\n".join((
            "- With regularization closing on 10 November, GTRM partners helped SNM bring its "
            "services closer through **decentralized offices in Lima's districts**: four **Better "
            "Citizen Services (MAC)** platforms, four **SAMMIR** immigration assistance centres "
            "and two **Migracentros**.",
            "- In Tumbes, some 220 children and adolescents in vulnerable situations were referred "
            "to specialized services and placed in temporary shelters.",
            "- In Trujillo, the GTRM and SNM held the **III Entregatón**, which served 1,967 "
            "refugees and migrants: documentation and regularization, payment of fees, "
            "psychological counselling, sexual and reproductive health, enrolment in the "
            "Comprehensive Health Insurance (SIS), education and livelihoods.",
        )),
    ),
    (
        NarrativeKind.HIGHLIGHTS, "SHE",
        "\n".join((
            "- Los socios entregaron **kits** (ropa, menaje de cocina y artículos para el hogar) "
            "a más de 2,120 personas y **transferencias en efectivo para alojamiento** a 250 "
            "personas en La Libertad y Lima.",
            "- En Lima, cuatro **talleres prepararon a más de 50 brigadistas comunitarios** para "
            "responder a tiempo ante emergencias y desastres, en previsión de las lluvias intensas "
            "e inundaciones que se esperaban con el fenómeno El Niño a fin de año.",
        )),
        "\n".join((
            "- Partners delivered **kits** (clothing, kitchen sets and household items) to more "
            "than 2,120 people and **cash for shelter** to 250 people in La Libertad and Lima.",
            "- In Lima, four **workshops prepared over 50 community brigade members** to respond "
            "quickly to emergencies and disasters, ahead of the heavy rains and floods El Niño was "
            "expected to bring at the end of the year.",
        )),
    ),
    (
        NarrativeKind.HIGHLIGHTS, "FS",
        "- Unas 8,900 personas recibieron **transferencias en efectivo para su alimentación**, "
        "por casi USD 330,000 en total, con prioridad para gestantes, madres lactantes, niñas, "
        "niños y adolescentes y personas con discapacidad.",
        "- Some 8,900 people received **cash transfers for food**, almost USD 330,000 in all, with "
        "priority for pregnant and breastfeeding women, children and adolescents, and people "
        "with disabilities.",
    ),
    (
        NarrativeKind.COORDINATION, None,
        "\n\n".join((
            "Del 5 al 8 de septiembre, el Coordinador Regional para Refugiados de la **Oficina de "
            "Población, Refugiados y Migración (PRM)** visitó Tacna (Perú) y Arica (Chile). Se "
            "reunió con las oficinas descentralizadas del Ministerio de Relaciones Exteriores, las "
            "autoridades migratorias y la Defensoría del Pueblo, entre otras, para evaluar los "
            "riesgos de protección y de saneamiento.",
            "En septiembre, la organización internacional **JADE se unió al GTRM**, que suma ahora "
            "110 socios; 13 de ellos son organizaciones lideradas por personas refugiadas y "
            "migrantes.",
        )),
        "\n\n".join((
            "From 5 to 8 September, the Regional Refugee Coordinator of the **Bureau of "
            "Population, Refugees and Migration (PRM)** visited Tacna (Peru) and Arica (Chile), "
            "meeting the decentralized offices of the Ministry of Foreign Affairs, the migration "
            "authorities and the Ombudsperson's Office, among others, to assess protection and "
            "sanitation risks.",
            "In September the international organization **JADE joined the GTRM**, which now has "
            "110 partners, 13 of them refugee- and migrant-led organizations.",
        )),
    ),
)

// The start page's texts (home.html, home.js).

import { register } from "../i18n.js";

register({
  en: {
    "title.home": "My journeys",
    "home.title": "My journeys",
    "home.caseload": "Journeys you are on",
    "home.open_title": "Open a journey",
    "home.client_ref": "Client reference",
    "home.open": "Open",
    "home.none": "You are not on any client's team.",
    "home.coordinator": "coordinator",
    "home.closed": "closed",
    "home.your_caseload": "your caseload",
    "home.who": (party, org, role) => `${party}, ${org} (${role}).`,
    "home.admin_note": "Admins manage tokens and erasure from the command line; they read no client data here.",
  },
  fi: {
    "title.home": "Asiakkaani",
    "home.title": "Asiakkaani",
    "home.caseload": "Asiakkaat, joiden tiimissä olet",
    "home.open_title": "Avaa asiakkuus",
    "home.client_ref": "Asiakastunnus",
    "home.open": "Avaa",
    "home.none": "Et ole minkään asiakkaan tiimissä.",
    "home.coordinator": "vastuuhenkilö",
    "home.closed": "päättynyt",
    "home.your_caseload": "asiakkaasi",
    "home.who": (party, org, role) => `${party}, ${org} (${role}).`,
    "home.admin_note": "Ylläpitäjät hallinnoivat tunnuksia ja tietojen poistoa komentoriviltä; he eivät lue täällä asiakastietoja.",
  },
  sv: {
    "title.home": "Mina klienter",
    "home.title": "Mina klienter",
    "home.caseload": "Klienter vars team du är med i",
    "home.open_title": "Öppna ett klientskap",
    "home.client_ref": "Klientnummer",
    "home.open": "Öppna",
    "home.none": "Du är inte med i någon klients team.",
    "home.coordinator": "ansvarsperson",
    "home.closed": "avslutat",
    "home.your_caseload": "dina klienter",
    "home.who": (party, org, role) => `${party}, ${org} (${role}).`,
    "home.admin_note": "Administratörer hanterar nycklar och radering från kommandoraden; de läser inga klientuppgifter här.",
  },
});

// Texts of the new-client page.

import { register } from "../i18n.js";

register({
  en: {
    "new.title": "New client",
    "new.help": "Register a client who is not yet in Polku. You join their team as its first member, so the journey opens for you straight away; build the rest of the team on the journey page.",
    "new.register": "Registration",
    "new.may_not": "Only case workers and coordinators register clients.",
    "new.vocabulary": "the vocabulary",
    "new.not_joined": "The client is registered, but you could not be added to the team; ask a team member to add you.",
    "field.my_role": "Your role on the team",
    "field.my_sector": "Your sector",
  },
  fi: {
    "new.title": "Uusi asiakas",
    "new.help": "Rekisteröi asiakas, joka ei vielä ole Polussa. Sinusta tulee hänen tiiminsä ensimmäinen jäsen, joten asiakkuus aukeaa sinulle heti; kokoa muu tiimi asiakkuuden sivulla.",
    "new.register": "Rekisteröinti",
    "new.may_not": "Vain sosiaalityöntekijät ja vastuuhenkilöt rekisteröivät asiakkaita.",
    "new.vocabulary": "sanasto",
    "new.not_joined": "Asiakas on rekisteröity, mutta sinua ei voitu lisätä tiimiin; pyydä tiimin jäsentä lisäämään sinut.",
    "field.my_role": "Roolisi tiimissä",
    "field.my_sector": "Toimialasi",
  },
  sv: {
    "new.title": "Ny klient",
    "new.help": "Registrera en klient som ännu inte finns i Polku. Du blir den första medlemmen i klientens team, så klientskapet öppnas direkt för dig; bygg resten av teamet på klientskapets sida.",
    "new.register": "Registrering",
    "new.may_not": "Bara socialarbetare och ansvarspersoner registrerar klienter.",
    "new.vocabulary": "vokabulären",
    "new.not_joined": "Klienten är registrerad, men du kunde inte läggas till i teamet; be en teammedlem lägga till dig.",
    "field.my_role": "Din roll i teamet",
    "field.my_sector": "Din sektor",
  },
});

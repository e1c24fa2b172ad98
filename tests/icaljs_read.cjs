// Reads an .ics on stdin with Mozilla ical.js (strict) and prints each VEVENT's UID, SEQUENCE,
// STATUS and UTC start as JSON lines.
const ICAL = require(process.argv[2]);
let text = "";
process.stdin.on("data", (d) => (text += d));
process.stdin.on("end", () => {
  ICAL.design.strict = true;
  const comp = new ICAL.Component(ICAL.parse(text));
  for (const tz of comp.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(new ICAL.Timezone(tz));
  }
  for (const v of comp.getAllSubcomponents("vevent")) {
    const e = new ICAL.Event(v);
    const start = e.startDate;
    console.log(JSON.stringify({
      uid: e.uid, sequence: e.sequence, status: v.getFirstPropertyValue("status"),
      start: start.isDate ? start.toString() : start.toUnixTime(),
    }));
  }
});

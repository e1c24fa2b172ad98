// Reads calendars with Mozilla ical.js (strict) and prints each VEVENT's UID, SEQUENCE, STATUS
// and UTC start and end as JSON lines. Standard input is one .ics, or a JSON array of .ics texts
// (then each line also says which calendar, "calendar": index); each calendar is read with its
// own VTIMEZONEs, registered before its events are read.
const ICAL = require(process.argv[2]);
let text = "";
process.stdin.on("data", (d) => (text += d));
process.stdin.on("end", () => {
  ICAL.design.strict = true;
  const many = text.trimStart().startsWith("[");
  const calendars = many ? JSON.parse(text) : [text];
  calendars.forEach((one, index) => {
    const comp = new ICAL.Component(ICAL.parse(one));
    for (const tz of comp.getAllSubcomponents("vtimezone")) {
      const zone = new ICAL.Timezone(tz);
      ICAL.TimezoneService.remove(zone.tzid);
      ICAL.TimezoneService.register(zone);
    }
    for (const v of comp.getAllSubcomponents("vevent")) {
      const e = new ICAL.Event(v);
      const start = e.startDate;
      const end = e.endDate;
      const line = {
        uid: e.uid, sequence: e.sequence, status: v.getFirstPropertyValue("status"),
        start: start.isDate ? start.toString() : start.toUnixTime(),
        end: end.isDate ? end.toString() : end.toUnixTime(),
      };
      if (many) line.calendar = index;
      console.log(JSON.stringify(line));
    }
  });
});

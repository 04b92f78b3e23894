package etag

// RaceEnabled lets the external tests know what raceEnabled says.
const RaceEnabled = raceEnabled

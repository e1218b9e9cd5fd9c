// Package service holds the daemon-wide settings shared by the milter and
// the SMTP relay: where to listen and how to name itself ([mailgw.network]),
// load and size limits ([mailgw.limits]), timeouts ([mailgw.timeouts]),
// archiving ([mailgw.archive]), and the settings of the future database
// updater ([updater.options], [updater.report]). It declares their schema
// and decodes them into typed values: durations as time.Duration, sizes in
// bytes (the file writes KB and MB, 1 KB = 1024 bytes).
//
// Ranges and defaults of limits and timeouts are those of the predecessor
// product's reference. The guide names four DNS parameters without values;
// their ranges and defaults are mailgw's and their Doc says so.
//
// # Syntax defined here
//
//	ListenOn=IP:PORT          0.0.0.0:25, 192.168.0.1:1025, [::]:25
//
// ListenOn is repeatable (or comma-separated); "ListenOn=" with an empty
// value means no SMTP listener, for an installation that is only a milter.
// Hostname and Postmaster are required by the reference but default here to
// "localhost" and "postmaster@localhost", which are right on every machine,
// so that the embedded default configuration runs on a fresh install;
// production configurations set real values.
//
// ProtectedDomains is declared here (and in [mailgw.forward] by package
// routing, as the guide documents both); package access decodes and checks
// the masks, since the relay decision is what they serve.
//
// Beyond the loader's type and range checks, FromConfig reports parameters
// that contradict each other: MinimalBackoffTime above MaximalBackoffTime,
// DNSNetworkTimeout above DNSResolveTimeout, UnreachableCacheTTL not below
// MinimalBackoffTime, MaximalIncomingMessageSize above
// MaximalIncomingSessionSize, and UseUpdateServerUrl(Only) without a
// source.
package service

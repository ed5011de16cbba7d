require ["spamtest", "virustest"];
if allof (spamtest "0", virustest "4") {
	keep;
}

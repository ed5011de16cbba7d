require "ihave";
# dead, but not behind a missing capability: still validated
if false {
	x_no_such_command;
}
if true {
	keep;
} elsif header :is "subject" "x" {
	fileinto "needs require";
}
if ihave "ihave" {
	keep;
} else {
	if x_no_such_test { keep; }
}

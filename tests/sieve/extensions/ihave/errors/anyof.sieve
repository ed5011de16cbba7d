require "ihave";
if anyof (ihave "x-no-such-extension", header :is "subject" "x") {
	x_no_such_command;
}

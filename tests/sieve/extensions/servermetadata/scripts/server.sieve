require "servermetadata";
if servermetadataexists "/shared/motd" {
	keep;
}

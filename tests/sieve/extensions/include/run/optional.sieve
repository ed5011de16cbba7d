require ["include", "fileinto"];
include :optional "no-such-script";
include :optional :global "no-such-script";
fileinto "went-on";

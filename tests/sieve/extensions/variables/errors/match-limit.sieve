require "variables";
if string :is "${64}" "" { keep; }

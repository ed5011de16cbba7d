require "variables";
if string :is "${frop.bar}" "" { keep; }

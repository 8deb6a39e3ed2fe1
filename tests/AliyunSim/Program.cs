// Placeholder: the AliyunSim simulator is built in its own issue.
Console.Error.WriteLine("AliyunSim: not built yet");
return 2;

// Copies stdin to stdout: what every CNI plugin must at least do (read its config, write its result).
using var stdin = Console.OpenStandardInput();
using var stdout = Console.OpenStandardOutput();
stdin.CopyTo(stdout);
return 0;

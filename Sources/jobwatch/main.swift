import JobwatchCLI

await Jobwatch.runMain()

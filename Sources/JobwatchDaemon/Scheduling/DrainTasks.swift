/// Waits for in-flight work to finish, cancelling whatever is still running after `grace`.
func drain(_ tasks: [Task<Void, Never>], grace: Duration) async {
    await withTaskGroup(of: Void.self) { group in
        group.addTask {
            for task in tasks { await task.value }
        }
        group.addTask {
            try? await Task.sleep(for: grace)
            for task in tasks { task.cancel() }
        }
        await group.next()
        group.cancelAll()
    }
}

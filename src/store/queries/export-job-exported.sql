-- Which of the given trajectories an export job has already exported.
SELECT DISTINCT trajectory_id
FROM export_job_trajectories FINAL
WHERE tenant = {tenant:String} AND job = {job:String} AND trajectory_id IN {ids:Array(String)}
